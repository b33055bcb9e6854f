"""The pages every footer links to: site map, accessibility statement, legal notice and personal
data."""

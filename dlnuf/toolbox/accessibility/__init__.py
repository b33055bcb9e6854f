"""Accessibility audit of a public service against RGAA 4.1.2: automated checks with axe-core in
headless Chromium, the criteria a person must still decide, the compliance rate and a draft of the
accessibility statement."""

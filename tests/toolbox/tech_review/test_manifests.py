from pathlib import Path

from dlnuf.toolbox.tech_review.manifests import (
    Component,
    components_in_tree,
    find_manifests,
    parse_manifest,
    read_manifest,
    resolve_version,
    scan_files,
)


def by_name(components: list[Component]) -> dict[str, Component]:
    return {c.name: c for c in components}


def test_resolve_version_takes_the_pin_or_the_lowest_bound() -> None:
    assert resolve_version("==5.2.1") == "5.2.1"
    assert resolve_version("^18.2.0") == "18.2.0"
    assert resolve_version(">=4.2,<5") == "4.2"
    assert resolve_version(">= 1.0, < 2") == "1.0"
    assert resolve_version("< 2.0") == ""
    assert resolve_version("~> 7.1") == "7.1"
    assert resolve_version("18.x") == "18"
    assert resolve_version("5.2.*") == "5.2"
    assert resolve_version("[1.0,2.0)") == "1.0"
    assert resolve_version("^7.4|^8.0") == "7.4"
    for floating in ("*", "latest", "", "git+https://example.org/x.git", "workspace:*"):
        assert resolve_version(floating) == ""


def test_requirements_with_extras_markers_hashes_and_urls() -> None:
    text = (
        "# pinned\n"
        "Django==5.2.1\n"
        "requests[socks]>=2.31 ; python_version > '3.8'\n"
        "psycopg[binary]==3.2.1 \\\n    --hash=sha256:abc\n"
        "Flask_Login\n"
        "mylib @ https://example.org/mylib.whl\n"
        "--index-url https://pypi.org/simple\n"
        "-e .\n"
    )
    components = by_name(parse_manifest(Path("requirements.txt"), text))
    assert components["django"] == Component(
        "pypi", "django", "==5.2.1", "5.2.1", "requirements.txt", False
    )
    assert components["requests"].resolved == "2.31"
    assert components["psycopg"].resolved == "3.2.1"
    assert components["flask-login"].version == ""
    assert components["mylib"].version == ""
    assert len(components) == 5


def test_requirements_includes_are_followed_inside_the_tree(tmp_path: Path) -> None:
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "base.txt").write_text("django==4.2.11\n")
    (tmp_path / "requirements-dev.txt").write_text("-r requirements/base.txt\npytest==8.0.0\n")
    (tmp_path / "extra.txt").write_text("-r ../outside.txt\n")
    components = components_in_tree(tmp_path)
    found = {(c.name, c.manifest, c.dev) for c in components}
    # base.txt is found both directly (folder "requirements") and by inclusion: read once.
    assert found == {
        ("django", "requirements/base.txt", False),
        ("pytest", "requirements-dev.txt", True),
    }


def test_pasted_requirements_include_missing_gives_a_warning() -> None:
    files = {"requirements-dev.txt": "-r requirements.txt\nruff==0.5.0\n"}
    scan = scan_files(list(files), files.get)
    assert [c.name for c in scan.components] == ["ruff"]
    assert scan.warnings == ["requirements.txt : fichier absent ou trop volumineux, ignoré."]


def test_pyproject_pep621_and_poetry() -> None:
    text = """
[project]
name = "x"
requires-python = ">=3.11"
dependencies = ["django>=5.2,<6", "httpx==0.28.1"]
[project.optional-dependencies]
test = ["pytest>=8"]
[tool.poetry.dependencies]
python = "^3.12"
fastapi = "^0.110"
sqlalchemy = {version = "2.0.30", extras = ["asyncio"]}
[tool.poetry.group.dev.dependencies]
black = "*"
"""
    components = parse_manifest(Path("pyproject.toml"), text)
    rows = {(c.ecosystem, c.name): (c.version, c.resolved, c.dev) for c in components}
    assert rows[("pypi", "django")] == (">=5.2,<6", "5.2", False)
    assert rows[("pypi", "pytest")] == (">=8", "8", True)
    assert rows[("pypi", "sqlalchemy")] == ("2.0.30", "2.0.30", False)
    assert rows[("pypi", "black")] == ("*", "", True)
    runtimes = [c for c in components if c.ecosystem == "runtime"]
    assert {(c.name, c.resolved) for c in runtimes} == {("python", "3.11"), ("python", "3.12")}


def test_malformed_manifests_give_french_warnings_not_crashes() -> None:
    cases = {
        "pyproject.toml": "[project\nname=",
        "package.json": "{ not json",
        "composer.json": "[1, 2]",
        "pom.xml": "<project><dependencies>",
        "go.mod": "require x v1",
        "Dockerfile": "RUN echo hello",
        "runtime.txt": "cobol-85",
        "Gemfile.lock": "nothing here",
        "requirements.txt": "=== not a requirement\n",
    }
    for name, text in cases.items():
        components, warnings = read_manifest(name, text)
        assert components == [], name
        assert len(warnings) == 1, (name, warnings)
        assert "illisible" in warnings[0], (name, warnings)


def test_package_json_sections_and_engines() -> None:
    text = """{"dependencies": {"react": "^18.2.0", "vue": "latest"},
      "devDependencies": {"vite": "5.0.0"}, "peerDependencies": {"react-dom": "18.x"},
      "engines": {"node": ">=20"}}"""
    components = by_name(parse_manifest(Path("front/package.json"), text))
    assert components["react"].resolved == "18.2.0"
    assert not components["react"].dev
    assert components["vue"].resolved == ""
    assert components["vite"].dev
    assert components["react-dom"].resolved == "18"
    assert components["nodejs"].ecosystem == "runtime"
    assert components["nodejs"].resolved == "20"
    assert components["react"].manifest == "front/package.json"


POM = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <parent>
    <groupId>org.springframework.boot</groupId>
    <artifactId>spring-boot-starter-parent</artifactId>
    <version>3.2.5</version>
  </parent>
  <properties>
    <java.version>17</java.version>
    <guava.version>33.0.0-jre</guava.version>
  </properties>
  <dependencies>
    <dependency>
      <groupId>com.google.guava</groupId><artifactId>guava</artifactId>
      <version>${guava.version}</version>
    </dependency>
    <dependency>
      <groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-web</artifactId>
    </dependency>
    <dependency>
      <groupId>org.example</groupId><artifactId>sibling</artifactId>
      <version>${project.version}</version>
    </dependency>
    <dependency>
      <groupId>junit</groupId><artifactId>junit</artifactId><version>4.13.2</version>
      <scope>test</scope>
    </dependency>
  </dependencies>
</project>"""


def test_pom_properties_parent_and_java() -> None:
    components = by_name(parse_manifest(Path("pom.xml"), POM))
    assert components["org.springframework.boot:spring-boot-starter-parent"].resolved == "3.2.5"
    assert components["com.google.guava:guava"].version == "33.0.0-jre"
    assert components["com.google.guava:guava"].resolved == "33.0.0-jre"
    # The project has no version of its own: it inherits the parent's.
    assert components["org.example:sibling"].resolved == "3.2.5"
    assert components["org.springframework.boot:spring-boot-starter-web"].version == ""
    assert components["junit:junit"].dev
    assert components["java"].resolved == "17"


def test_xml_bomb_is_refused_before_parsing() -> None:
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n'
        "<project><dependencies><dependency><artifactId>&lol2;</artifactId>"
        "</dependency></dependencies></project>"
    )
    for name in ("pom.xml", "App.csproj"):
        components, warnings = read_manifest(name, bomb)
        assert components == []
        assert "DOCTYPE" in warnings[0]
        assert "bombe XML" in warnings[0]


def test_pom_property_expansion_is_bounded_in_length_and_depth() -> None:
    # Under 1 KB, each property four times the one before: expanded without a bound, the version
    # would be 4 194 304 characters long.
    levels = "".join(
        f"<p{level}>" + f"${{p{level - 1}}}" * 4 + f"</p{level}>" for level in range(1, 11)
    )
    pom = (
        f"<project><properties><p0>1234</p0>{levels}</properties><dependencies>"
        "<dependency><groupId>g</groupId><artifactId>bomb</artifactId>"
        "<version>${p10}</version></dependency>"
        "<dependency><groupId>g</groupId><artifactId>fine</artifactId>"
        "<version>${p0}</version></dependency>"
        "</dependencies></project>"
    )
    assert len(pom) < 1024
    components, warnings = read_manifest("pom.xml", pom)
    found = by_name(components)
    assert found["g:bomb"].version == "${p10}"
    assert found["g:bomb"].resolved == ""
    assert found["g:fine"].resolved == "1234"
    assert warnings == [
        "pom.xml : la valeur « ${p10} » dépasse 256 caractères une fois ses propriétés "
        "remplacées ; elle est laissée non résolue."
    ]


def test_pom_properties_referring_to_each_other_stop_at_the_depth_bound() -> None:
    pom = (
        "<project><properties><a>${b}</a><b>${a}</b></properties><dependencies>"
        "<dependency><groupId>g</groupId><artifactId>loop</artifactId>"
        "<version>${a}</version></dependency></dependencies></project>"
    )
    components, warnings = read_manifest("pom.xml", pom)
    assert by_name(components)["g:loop"].resolved == ""
    assert warnings == []


def test_gradle_groovy_and_kotlin() -> None:
    text = """
plugins {
    id 'org.springframework.boot' version '3.3.1'
}
java { toolchain { languageVersion = JavaLanguageVersion.of(21) } }
dependencies {
    implementation 'org.postgresql:postgresql:42.7.3'
    implementation("com.fasterxml.jackson.core:jackson-databind:$jacksonVersion")
    testImplementation "org.junit.jupiter:junit-jupiter:5.10.2"
    implementation 'org.springframework.boot:spring-boot-starter'
}
"""
    components = by_name(parse_manifest(Path("build.gradle.kts"), text))
    assert components["org.postgresql:postgresql"].resolved == "42.7.3"
    assert components["com.fasterxml.jackson.core:jackson-databind"].resolved == ""
    assert components["org.junit.jupiter:junit-jupiter"].dev
    assert components["org.springframework.boot:spring-boot-starter"].version == ""
    assert components["org.springframework.boot"].ecosystem == "gradle-plugin"
    assert components["org.springframework.boot"].resolved == "3.3.1"
    assert components["java"].resolved == "21"


def test_composer_require_and_php() -> None:
    text = """{"require": {"php": ">=8.1", "ext-json": "*", "symfony/framework-bundle": "6.4.*"},
              "require-dev": {"phpunit/phpunit": "^10.5"}}"""
    components = by_name(parse_manifest(Path("composer.json"), text))
    assert components["php"].ecosystem == "runtime"
    assert components["php"].resolved == "8.1"
    assert components["symfony/framework-bundle"].resolved == "6.4"
    assert components["phpunit/phpunit"].dev
    assert "ext-json" not in components


def test_gemfile_with_lock(tmp_path: Path) -> None:
    (tmp_path / "Gemfile").write_text(
        "source 'https://rubygems.org'\nruby '3.2.2'\ngem 'rails', '~> 7.1.0'\n"
        "group :development, :test do\n  gem 'rspec-rails'\nend\ngem 'pg', '>= 1.1'\n"
    )
    (tmp_path / "Gemfile.lock").write_text(
        "GEM\n  remote: https://rubygems.org/\n  specs:\n    pg (1.5.6)\n    rails (7.1.3.2)\n"
        "    rspec-rails (6.1.2)\n\nDEPENDENCIES\n  pg (>= 1.1)\n  rails (~> 7.1.0)\n"
        "  rspec-rails\n\nRUBY VERSION\n   ruby 3.2.2p53\n"
    )
    components = by_name(components_in_tree(tmp_path))
    assert components["rails"].version == "~> 7.1.0"
    assert components["rails"].resolved == "7.1.3.2"
    assert components["rspec-rails"].dev
    assert components["rspec-rails"].resolved == "6.1.2"
    assert components["pg"].resolved == "1.5.6"
    assert components["ruby"].resolved == "3.2.2"
    assert {c.manifest for c in components.values()} == {"Gemfile"}


def test_go_mod_blocks_and_go_version() -> None:
    text = (
        "module example.org/app\n\ngo 1.21\n\nrequire github.com/gin-gonic/gin v1.9.1\n"
        "require (\n\tgithub.com/go-sql-driver/mysql v1.7.1\n"
        "\tgolang.org/x/text v0.14.0 // indirect\n)\n"
    )
    components = by_name(parse_manifest(Path("go.mod"), text))
    assert components["go"].resolved == "1.21"
    assert components["github.com/gin-gonic/gin"].resolved == "1.9.1"
    assert components["github.com/go-sql-driver/mysql"].version == "v1.7.1"
    assert components["golang.org/x/text"].resolved == "0.14.0"


def test_csproj_package_references_and_target_framework() -> None:
    text = """<Project Sdk="Microsoft.NET.Sdk.Web">
  <PropertyGroup><TargetFramework>net6.0</TargetFramework></PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Serilog" Version="3.1.1" />
    <PackageReference Include="Npgsql"><Version>8.0.2</Version></PackageReference>
  </ItemGroup>
</Project>"""
    components = by_name(parse_manifest(Path("src/Api.csproj"), text))
    assert components["dotnet"].resolved == "6.0"
    assert components["Serilog"].resolved == "3.1.1"
    assert components["Npgsql"].resolved == "8.0.2"


def test_runtime_files_and_dockerfile() -> None:
    assert parse_manifest(Path(".python-version"), "3.12.3\n")[0].resolved == "3.12.3"
    assert parse_manifest(Path("runtime.txt"), "python-3.10.4")[0].name == "python"
    node = parse_manifest(Path(".nvmrc"), "v18.19.0\n")[0]
    assert (node.name, node.resolved) == ("nodejs", "18.19.0")
    assert parse_manifest(Path(".ruby-version"), "ruby-3.1.4")[0].resolved == "3.1.4"
    dockerfile = (
        "FROM --platform=linux/amd64 python:3.12-slim AS build\n"
        "FROM build AS test\n"
        "FROM docker.io/library/postgres:16\n"
        "FROM nginx\n"
        "FROM debian:bookworm-slim\n"
    )
    images = [
        (c.name, c.version, c.resolved) for c in parse_manifest(Path("Dockerfile"), dockerfile)
    ]
    assert images == [
        ("python", "3.12-slim", "3.12"),
        ("postgres", "16", "16"),
        ("nginx", "", ""),
        ("debian", "bookworm-slim", ""),
    ]


def test_find_manifests_skips_dependency_folders(tmp_path: Path) -> None:
    for folder in ("node_modules/left-pad", ".git", "vendor/acme", "venv/lib", "app"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "package.json").write_text("{}")
    (tmp_path / "README.md").write_text("x")
    assert [p.relative_to(tmp_path).as_posix() for p in find_manifests(tmp_path)] == [
        "app/package.json"
    ]

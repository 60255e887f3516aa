"""Where the tests find the CRM sample exports: the copies under tests/fixtures."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "tests" / "fixtures" / "crm-samples"
MAVEN = REPO / "data" / "maven-crm"


def sample(name: str) -> Path:
    """A sample file by its name under the shared data folder, e.g. 'maven-crm/accounts.csv'."""
    if name.startswith("maven-crm/"):
        return MAVEN / name.removeprefix("maven-crm/")
    return SAMPLES / name


def sample_names() -> set[str]:
    found = {p.relative_to(SAMPLES).as_posix() for p in SAMPLES.rglob("*.csv")}
    return found | {f"maven-crm/{p.name}" for p in MAVEN.glob("*.csv")}

"""The site file (one TOML per centre) and the device bootstrap file.

``load_site`` validates a site file; ``slices`` cuts from it what each device
receives over MQTT (retained, from the hub), so an edit of the site file
reaches every device without re-provisioning.
"""

from .load import EXAMPLE_SITE, SiteFileError, load_site, parse_site  # noqa: F401
from .schema import Site  # noqa: F401

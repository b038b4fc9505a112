"""The fixed value lists the command line offers (``--role``, ``--kind``), apart from
the tables so that ``fieldbot --help`` need not import SQLModel. storage/models.py
holds the same lists for its columns; tests/test_cli.py checks that they agree."""

ROLES = ("inspector", "head", "admin")
CHANNELS = ("telegram", "zalo", "terminal")
SITE_KINDS = ("supermarket", "trade_centre", "industrial_cluster")

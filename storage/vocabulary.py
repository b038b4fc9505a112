"""The fixed value lists the command line offers (``--role``, ``--kind``), apart from
the tables so that ``fieldbot --help`` need not import SQLModel. storage/models/
holds the same lists for its columns; tests/test_cli.py checks that they agree."""

ROLES = ("inspector", "head", "admin")
CHANNELS = ("telegram", "zalo", "terminal")
SITE_KINDS = ("supermarket", "trade_centre", "industrial_cluster")
# The programme's first year (Decision 889/QĐ-TTg, 2021–2030): K1 and K2 count from
# 1 January of it; [targets] start_year may change it. Here, not in storage/kpis
# (which imports SQLAlchemy), so that the configuration's defaults can name it.
START_YEAR = 2021

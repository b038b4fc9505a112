"""Report forms: what a department files once a year (department_report.toml), as
data like the checklists. ``form`` loads and checks the file, ``filed`` is a filed
report as the compiled report reads it, ``flow`` walks a person through the form
(pure: the conversation module and the tests drive it), ``figures`` the figures
the bot already knows from the checks, offered as a starting point."""

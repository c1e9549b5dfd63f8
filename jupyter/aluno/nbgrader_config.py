"""nbgrader settings the student's Validate button needs, in the course and in the students'
repository: JupyterLab started by scripts/lab.py finds this file through JUPYTER_CONFIG_PATH.
The instructor's grading configuration loads it too, so grading and Validate give a cell the
same time."""

c = get_config()  # noqa: F821 (provided by nbgrader)

# Per cell (nbgrader's default is 30 s). The heaviest graded cell trains on MNIST (lesson 07,
# aimed at under 120 s on 2 CPU cores); the margin covers slower student machines and the
# grader's own load.
c.Execute.timeout = 600

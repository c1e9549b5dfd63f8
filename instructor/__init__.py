"""Instructor tooling: builds the nbgrader notebooks from the lessons and grades them.

Students never import this package; they use ``helpers``.
"""

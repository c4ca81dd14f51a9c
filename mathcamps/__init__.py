"""MathCAMPS: Common Core maths problems from an attribute grammar, with symbolic answers.

Pure Python + sympy; this package never imports torch.
"""

from mathcamps.problem import Problem, grade_of

__all__ = ["Problem", "grade_of"]

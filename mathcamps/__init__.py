"""MathCAMPS: Common Core maths problems from an attribute grammar, with symbolic answers.

Pure Python + sympy; this package never imports torch.
"""

from mathcamps.problem import Problem, grade_of, grade_order

__all__ = ["Problem", "grade_order", "grade_of"]

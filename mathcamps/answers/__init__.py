"""Read and judge an answer: number reading, answer types, the grader."""

"""Write a structure as text: templates, worked solutions, LLM-rendering prompts."""

"""What the tests share: plain functions, classes and data, never a pytest fixture (fixtures are in the
conftest.py files). Each module is named for what it holds."""

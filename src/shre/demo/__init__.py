"""The demo company `shre seed-demo` makes: departments, employees with three years of
careers, and one account per role (seed.py; careers.py makes the history)."""

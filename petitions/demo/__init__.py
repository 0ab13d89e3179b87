"""The demo data of `make run` (`manage.py load_demo`): the Shantou org tree, thirty firms, their
accounts and ~100 petitions in every state.

world.py creates the reference data from fixtures/demo.json; scenarios.py lists the cases and their
steps; plan.py dates every step; player.py drives each petition through `petitions.workflow`, the only
way to change a petition's state, at those moments; summary.py is what the command prints.
"""

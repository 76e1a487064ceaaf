// `Walkthrough`: see DESIGN notes in README.md.

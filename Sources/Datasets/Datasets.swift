// `Datasets`: see DESIGN notes in README.md.

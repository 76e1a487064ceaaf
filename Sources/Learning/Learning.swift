// `Learning`: see DESIGN notes in README.md.

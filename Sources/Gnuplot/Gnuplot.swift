// `Gnuplot`: see DESIGN notes in README.md.

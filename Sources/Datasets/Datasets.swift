// `Datasets`: everything the chapters read, loaded and validated in pure Swift (standard library + Foundation).
//
// | data                | loader                                   | source                                     |
// |---------------------|------------------------------------------|--------------------------------------------|
// | digits 1797 × 8×8   | `Digits.load()`                          | Data/digits.csv.gz (scikit-learn)          |
// | yeast 2417 × 103/14 | `Yeast.load()`, `Yeast.loadSplit()`      | Data/yeast.csv.gz (river)                  |
// | Fashion-MNIST       | `FashionMNIST.load(.train / .test)`      | /usr/share/datasets/fashion-mnist (Debian) |
// | ORL faces 400       | `ORLFaces.load()`                        | Data/cache/orl (scripts/fetch-orl.sh)      |
// | Hershey glyphs      | `HersheyFont.loadLatinStyles()`,         | Data/hershey/*.jhf (Debian)                |
// |                     | `HersheyGlyphSet.build(...)`             |                                            |
// | Fashion-MNIST scenes| `Scenes.generate(count:recipe:from:seed:)` | composed from Fashion-MNIST, seeded        |
// | toys                | `Toy.gaussianClusters`, `Toy.imbalancedMultiLabel` | generated from a seed            |
//
// The file formats underneath: `Gzip.decompress` (DEFLATE + CRC-32), `IDXArray`, `PGMImage`, `HersheyFont`.
// Every loader throws a `DatasetError` naming the file and the problem; none traps on bad input.
// Sources and licences: docs/data-sources.md and Data/NOTICE.md.

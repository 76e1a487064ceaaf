// rambo-reference: the port-checking tool (README, "Checking a port"; chapter 13).
//
//   rambo-reference eval CASES.json                        answer every case: {"results": [...]} on stdout
//   rambo-reference generate --out DIR                     write the shipped vectors (one file per op)
//   rambo-reference verify --vectors DIR --results FILE    compare a port's results with the vectors
//   rambo-reference cases --vectors DIR [--op OP]          the vectors' inputs as a cases file, on stdout
//
// Exit codes: 0 success; 1 some case erred (eval) or some test failed (verify); 2 a usage or file problem.
import Foundation
import Support

Output.prepare()
Output.program = "rambo-reference"
let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else {
    Console.error(Usage.general)
    exit(2)
}
let rest = Array(arguments.dropFirst())
switch command {
case "eval": EvalCommand.run(rest)
case "generate": GenerateCommand.run(rest)
case "verify": VerifyCommand.run(rest)
case "cases": CasesCommand.run(rest)
case "--help", "-h", "help":
    print(Usage.general)
    exit(0)
default:
    Console.fail("unknown command '\(command)'; expected eval, generate, verify or cases (see --help)")
}

fn main() {
    std::process::exit(gate::main());
}

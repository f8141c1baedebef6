import ArgumentParser

/// How the one input walker treats symbolic links, declared once for every command that walks folders.
struct WalkOptions: ParsableArguments {
    @Flag(help: "Follow symbolic links while walking (each real folder is visited once; a link to nothing is an error). Without it links are left alone and counted in a note.")
    var followLinks = false
}

namespace HelpGen;

/// <summary>A problem in a help source file, reported as "file(line): error HG001: message" so MSBuild shows it as a build error.</summary>
internal sealed class HelpGenException(string file, int line, string message) : Exception(message)
{
    public string File { get; } = file;

    public int Line { get; } = line;

    public string ToCanonical() => $"{File}({Line}): error HG001: {Message}";
}

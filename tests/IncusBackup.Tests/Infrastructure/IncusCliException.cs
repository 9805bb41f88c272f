namespace IncusBackup.Tests.Infrastructure;

/// <summary>The incus command line exited non-zero; the message carries the command and its stderr.</summary>
public sealed class IncusCliException : Exception
{
    public IncusCliException(IncusCliResult result)
        : base($"'{result.CommandLine}' exited with {result.ExitCode}: {result.StandardError.Trim()}")
    {
        Result = result;
    }

    public IncusCliResult Result { get; }
}

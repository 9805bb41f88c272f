using System.Security.Cryptography;

namespace IncusBackup.Verify;

/// <summary>How Test-IncusBackup -Restore test-restores a backup: where, and what it runs afterwards.</summary>
public sealed record RestoreTestOptions
{
    /// <summary>The prefix of the throwaway projects (the rest is random): "ibtest-".</summary>
    public const string ProjectPrefix = "ibtest-";

    /// <summary>The project to restore into.</summary>
    public required string Project { get; init; }

    /// <summary>The project is the user's (-TestProject): it must exist and is never deleted. Otherwise it is created and deleted.</summary>
    public bool KeepProject { get; init; }

    /// <summary>Start the restored instance and wait for it to run.</summary>
    public bool Start { get; init; }

    /// <summary>A command (argv) run inside the started instance; exit code 0 passes.</summary>
    public IReadOnlyList<string>? Command { get; init; }

    /// <summary>How long starting (until Running) and the command may each take.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>A fresh throwaway project name: "ibtest-" and 8 random hex digits.</summary>
    public static string NewProjectName() => ProjectPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
}

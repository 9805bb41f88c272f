namespace IncusBackup.Tests.Infrastructure;

/// <summary>What the test host did with a prompt.</summary>
public enum HostPromptOutcome
{
    /// <summary>Answered from the scripted answers.</summary>
    Answered,

    /// <summary>Refused because the host is NonInteractive (threw what pwsh -NonInteractive throws).</summary>
    RefusedNonInteractive,

    /// <summary>No scripted answer was queued: the host threw <see cref="UnscriptedPromptException"/>.</summary>
    Unscripted,
}

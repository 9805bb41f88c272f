using System.Globalization;
using System.Management.Automation.Host;

namespace IncusBackup.Tests.Infrastructure;

/// <summary>
/// A PowerShell host for tests: records what is written to it and answers prompts from a script
/// (see <see cref="TestHostUI"/>). Culture is fixed to en-US so that PowerShell's own messages
/// ("What if: ...", "Confirm") and number/date formatting do not depend on the machine.
/// </summary>
public sealed class TestPSHost : PSHost
{
    private static readonly CultureInfo s_culture = CultureInfo.GetCultureInfo("en-US");

    public TestPSHost(bool nonInteractive = false)
    {
        UI = new TestHostUI { NonInteractive = nonInteractive };
    }

    public override string Name => "IncusBackupTestHost";

    public override Version Version { get; } = new(1, 0);

    public override Guid InstanceId { get; } = Guid.NewGuid();

    public override CultureInfo CurrentCulture => s_culture;

    public override CultureInfo CurrentUICulture => s_culture;

    public override TestHostUI UI { get; }

    /// <summary>See <see cref="TestHostUI.NonInteractive"/>.</summary>
    public bool NonInteractive
    {
        get => UI.NonInteractive;
        set => UI.NonInteractive = value;
    }

    /// <summary>The exit code passed to SetShouldExit (the 'exit' keyword at top level), if any.</summary>
    public int? ShouldExitCode { get; private set; }

    public override void SetShouldExit(int exitCode) => ShouldExitCode = exitCode;

    // Nested prompts need an interactive loop; the "Suspend" answer of a confirmation prompt would land here.
    public override void EnterNestedPrompt() =>
        throw new NotSupportedException("The test host has no nested prompt; do not script the 'Suspend' choice.");

    public override void ExitNestedPrompt() =>
        throw new NotSupportedException("The test host has no nested prompt.");

    public override void NotifyBeginApplication()
    {
    }

    public override void NotifyEndApplication()
    {
    }
}

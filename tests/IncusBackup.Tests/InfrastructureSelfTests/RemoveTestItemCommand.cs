using System.Management.Automation;

namespace IncusBackup.Tests.InfrastructureSelfTests;

/// <summary>
/// A compiled cmdlet shaped like the module's destructive cmdlets (ShouldProcess per item, ShouldContinue unless
/// -Force, progress and verbose output), to prove the test host against a binary cmdlet, not only script.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "TestItem", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
public sealed class RemoveTestItemCommand : PSCmdlet
{
    private bool _yesToAll;
    private bool _noToAll;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public string[] Name { get; set; } = [];

    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Ends the command with ThrowTerminatingError before touching anything.</summary>
    [Parameter]
    public SwitchParameter FailTerminating { get; set; }

    protected override void ProcessRecord()
    {
        if (FailTerminating)
        {
            ThrowTerminatingError(new ErrorRecord(
                new InvalidOperationException("Target unusable."), "TestTargetUnusable", ErrorCategory.ResourceUnavailable, null));
        }

        foreach (string name in Name)
        {
            WriteProgress(new ProgressRecord(1, "Removing test items", $"Removing {name}"));
            WriteVerbose($"Considering {name}");
            if (!ShouldProcess(name, "Remove test item"))
            {
                continue;
            }

            if (Force || ShouldContinue($"Really remove {name}?", "Remove test item", ref _yesToAll, ref _noToAll))
            {
                WriteObject($"removed {name}");
            }
        }
    }
}

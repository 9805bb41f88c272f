using IncusBackup.Config;
using IncusBackup.Errors;
using IncusBackup.Incus;

namespace IncusBackup.PowerShell.Infrastructure;

/// <summary>
/// Makes compared config changes on the server, in the order given (dependency order): each Create and Update
/// through ShouldProcess, networks and storage pools asked again ("can disrupt the host") unless -Force or
/// -Confirm:$false. A failure is written with ConfigApplyFailed and skips what depends on it; the rest go on.
/// Every change is written to the pipeline (under -WhatIf only the what-if lines).
/// </summary>
internal sealed class ConfigChangeApplier(IncusCmdlet cmdlet, IIncusServer server, bool force)
{
    /// <returns>The changes that failed.</returns>
    public IReadOnlyList<ConfigChange> Apply(IEnumerable<ConfigComparison> comparisons)
    {
        var applier = new ConfigApplier(server);
        var failedKeys = new HashSet<string>(StringComparer.Ordinal);
        var failures = new List<ConfigChange>();
        foreach (var comparison in comparisons)
        {
            var change = comparison.Change;
            if (change.Action is ConfigAction.Create or ConfigAction.Update)
            {
                var target = $"{change.Kind} {(string.IsNullOrEmpty(change.Project) ? "" : change.Project + "/")}{change.Name}";
                var what = change.Changes.Length == 0 ? "" : ": " + string.Join("; ", change.Changes.Select(c => c.ToString()));
                if (!cmdlet.ShouldProcess(target + what, $"{change.Action} {change.Kind}")) continue;
                if (change.Kind is nameof(ConfigKind.Network) or nameof(ConfigKind.StoragePool) && !ConfirmHighImpact(target, change)) continue;
                change.Error = cmdlet.Await(ct => applier.ApplyAsync(comparison, failedKeys, ct));
                change.Applied = change.Error is null;
                if (change.Error is not null)
                {
                    failures.Add(change);
                    cmdlet.WriteError(new IncusBackupException(ErrorIds.ConfigApplyFailed, ErrorKind.OperationFailed,
                        $"{change.Action} of {target} failed: {change.Error}", target,
                        $"Fix the cause (the message is the server's) and run {cmdlet.MyInvocation.MyCommand.Name} -Apply again; what was applied stays applied."));
                }
            }
            else if (cmdlet.IsWhatIf())
            {
                continue;
            }
            cmdlet.WriteObject(cmdlet.Shape(change));
        }
        return failures;
    }

    private bool ConfirmHighImpact(string target, ConfigChange change) =>
        force || cmdlet.ConfirmExplicitlyOff() || cmdlet.AskOrRefuse(target,
            $"{change.Action} {target}? Changing managed networks and storage pools can disrupt the host and every instance on it.",
            $"{change.Action} {change.Kind}",
            $"{change.Action} of {target} needs a confirmation this session cannot ask for; it was not changed.",
            "Add -Force (or -Confirm:$false) to change networks and storage pools unattended.");
}

using IncusBackup.Reporting;

namespace IncusBackup.Restore;

/// <summary>
/// One step of a restore plan, as -WhatIf and the confirmation name it (ShouldProcess(Target, Action)) and as it
/// runs: the executor runs exactly the plan's steps, so what-if output cannot drift from what happens.
/// A step runs one or more named actions through the undo log, each with its own undo.
/// </summary>
public sealed class RestoreStep
{
    internal RestoreStep(string action, string target, Func<StepContext, Task> run, bool isCommit = false)
    {
        Action = action;
        Target = target;
        Run = run;
        IsCommit = isCommit;
    }

    /// <summary>What the step does: "Swap restored instance in".</summary>
    public string Action { get; }

    /// <summary>What it does it to: "prod/web (original kept as web-ibold until the swap succeeds)".</summary>
    public string Target { get; }

    /// <summary>
    /// Runs after every other step has succeeded and is never rolled back: a failure there leaves the restore done
    /// and becomes a warning (deleting the set-aside original).
    /// </summary>
    public bool IsCommit { get; }

    internal Func<StepContext, Task> Run { get; }

    public override string ToString() => $"{Action}: {Target}";
}

/// <summary>What a running step has at hand, and what it leaves for the result.</summary>
internal sealed class StepContext(UndoLog log, IReporter reporter, CancellationToken ct)
{
    public UndoLog Log { get; } = log;
    public IReporter Reporter { get; } = reporter;

    /// <summary>The journal entry of a replace, written before each step so that a killed run can be recovered; null otherwise.</summary>
    public RestoreJournalRun? Journal { get; init; }
    public CancellationToken Cancellation { get; } = ct;

    /// <summary>What the mappings changed in the archive on its way to the server.</summary>
    public string[] Mapped { get; set; } = [];

    /// <summary>Instances stopped for the swap, as project/name.</summary>
    public List<string> Stopped { get; } = [];

    /// <summary>Instances started by the restore, as project/name.</summary>
    public List<string> Started { get; } = [];
}

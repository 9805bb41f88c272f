using System.Collections;
using System.Management.Automation;
using System.Reflection;
using IncusBackup.Errors;

namespace IncusBackup.PowerShell.Infrastructure;

/// <summary>
/// Base of every cmdlet: the -Project parameter, connecting to Incus, turning engine exceptions into ErrorRecords
/// with stable ErrorIds, and running async engine calls on the pipeline thread with Ctrl+C wired to cancellation.
/// </summary>
public abstract class IncusCmdlet : PSCmdlet
{
    /// <summary>The project a cmdlet works in when -Project is not given.</summary>
    public const string DefaultProject = "default";

    public static string ToolVersion { get; } =
        typeof(IncusCmdlet).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>
    /// The Incus project. Backup and restore cmdlets work in "default" when it is left out; Get-IncusBackup then
    /// lists every project.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(Completers.ProjectNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Project { get; set; }

    /// <summary>-Project, else the project the chosen remote works in (incus CLI's remote "project"), else "default".</summary>
    protected string ProjectOrDefault => Project ?? ImpliedProject ?? DefaultProject;

    /// <summary>The project implied by the server choice, when there is one (cmdlets that connect: the remote's project).</summary>
    protected virtual string? ImpliedProject => null;

    /// <summary>API trace lines gathered on worker threads, written under -Debug on the pipeline thread.</summary>
    internal System.Collections.Concurrent.ConcurrentQueue<string> DebugLines { get; } = new();

    /// <summary>Writes the API trace lines gathered so far (pipeline thread only).</summary>
    internal void FlushDebugLines()
    {
        while (DebugLines.TryDequeue(out var line)) WriteDebug(line);
    }

    /// <summary>Runs an engine call to completion on the pipeline thread; Ctrl+C cancels it.</summary>
    protected internal T Await<T>(Func<CancellationToken, Task<T>> call)
    {
        try
        {
            return call(PipelineStopToken).GetAwaiter().GetResult();
        }
        finally
        {
            FlushDebugLines();
        }
    }

    /// <summary>Runs an engine call whose failure ends the cmdlet (a terminating error with the engine's ErrorId).</summary>
    protected T AwaitOrStop<T>(Func<CancellationToken, Task<T>> call)
    {
        try
        {
            return Await(call);
        }
        catch (IncusBackupException e)
        {
            ThrowTerminating(e);
            throw; // not reached
        }
    }

    protected internal void WriteError(Exception e, object? target = null) => WriteError(ErrorRecordFactory.From(e, target));

    /// <summary>A run that ended early (killed, a server gone) is worth knowing of: what opening cleaned after it is a warning.</summary>
    protected IncusBackup.Repository.IBackupRepository ReportLeftovers(IncusBackup.Repository.IBackupRepository repository)
    {
        foreach (var line in repository.LeftoversCleaned) WriteWarning($"{repository.Target}: {line}.");
        return repository;
    }

    protected internal void ThrowTerminating(IncusBackupException e) => ThrowTerminatingError(ErrorRecordFactory.From(e));

    /// <summary>What a shared helper (a restore batch, the config applier) writes: the object itself, unless the cmdlet tags it for its view.</summary>
    protected internal virtual object Shape(object output) => output;

    /// <summary>A -*Map hashtable (@{ old = 'new' }) as a dictionary; anything but pairs of names is terminating.</summary>
    protected internal Dictionary<string, string> ToMap(Hashtable? table, string parameter)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in table ?? [])
        {
            var from = LanguagePrimitives.ConvertTo<string>(entry.Key);
            var to = LanguagePrimitives.ConvertTo<string>(entry.Value);
            if (string.IsNullOrWhiteSpace(from) || string.IsNullOrWhiteSpace(to))
            {
                ThrowTerminating(new IncusBackupException(ErrorIds.InvalidName, ErrorKind.InvalidArgument,
                    $"-{parameter} needs old = 'new' pairs of names; '{from}' = '{to}' is not one.", parameter));
            }
            map[from] = to;
        }
        return map;
    }

    /// <summary>-WhatIf given, or $WhatIfPreference on.</summary>
    protected internal bool IsWhatIf() =>
        MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w) ? ((SwitchParameter)w).IsPresent
            : GetVariableValue("WhatIfPreference") is SwitchParameter { IsPresent: true } or true;

    /// <summary>-Confirm:$false given: the caller has said yes to every question.</summary>
    protected internal bool ConfirmExplicitlyOff() =>
        MyInvocation.BoundParameters.TryGetValue("Confirm", out var c) && !((SwitchParameter)c).IsPresent;

    /// <summary>ShouldContinue; a host that cannot ask (pwsh -NonInteractive, a scheduled job) gets ConfirmationRequired and a no.</summary>
    protected internal bool AskOrRefuse(string target, string question, string caption, string cannotAsk, string nextStep)
    {
        try
        {
            return ShouldContinue(question, caption);
        }
        catch (Exception e) when (e is PSInvalidOperationException or System.Management.Automation.Host.HostException or NotImplementedException)
        {
            WriteError(new IncusBackupException(ErrorIds.ConfirmationRequired, ErrorKind.InvalidArgument, cannotAsk, target, nextStep, e));
            return false;
        }
    }

    private protected bool DebugPreferenceIsOn() =>
        GetVariableValue("DebugPreference") is ActionPreference pref && pref != ActionPreference.SilentlyContinue && pref != ActionPreference.Ignore;
}

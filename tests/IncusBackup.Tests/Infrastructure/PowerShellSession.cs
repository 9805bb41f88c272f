using System.Collections;
using System.Collections.ObjectModel;
using System.Diagnostics;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace IncusBackup.Tests.Infrastructure;

/// <summary>
/// A real PowerShell runspace on a <see cref="TestPSHost"/>, with the built IncusBackup module imported.
/// Scripts run in the global scope, so functions and variables persist between invocations of one session.
/// </summary>
public sealed class PowerShellSession : IDisposable
{
    public const string ModuleAssemblyFileName = "IncusBackup.PowerShell.dll";

    private static readonly TimeSpan s_pollInterval = TimeSpan.FromMilliseconds(20);

    private readonly Runspace _runspace;
    private bool _disposed;

    private PowerShellSession(TestPSHost host, InitialSessionState initialState)
    {
        Host = host;
        _runspace = RunspaceFactory.CreateRunspace(host, initialState);
        // One thread for every invocation, as in pwsh, so thread-affine state in the module behaves as it will for users.
        _runspace.ThreadOptions = PSThreadOptions.ReuseThread;
        _runspace.Open();
    }

    public TestPSHost Host { get; }

    public Runspace Runspace => _runspace;

    /// <summary>How long a stopped pipeline may take to end before StopWhen fails the test (a hang means Stop is not honoured).</summary>
    public TimeSpan StopGracePeriod { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The importable module folder, <c>&lt;repo&gt;/module/IncusBackup</c>.</summary>
    public static string DefaultModuleDirectory => RepositoryRoot.Combine("module", "IncusBackup");

    /// <summary>
    /// Opens a session and imports the built module from <paramref name="moduleDirectory"/>
    /// (default <see cref="DefaultModuleDirectory"/>). Fails with a clear message when the module was not built.
    /// </summary>
    public static PowerShellSession Create(bool nonInteractive = false, string? moduleDirectory = null)
    {
        moduleDirectory ??= DefaultModuleDirectory;
        // The loader keeps the cmdlet assembly and its dependencies in bin/ (see src/IncusBackup.Loader).
        string assembly = Path.Combine(moduleDirectory, "bin", ModuleAssemblyFileName);
        if (!File.Exists(assembly))
        {
            throw new InvalidOperationException(
                $"The IncusBackup module is not built: '{assembly}' does not exist. " +
                "Build first (dotnet build IncusBackup.PowerShell.sln, or ./build.ps1), which copies the build output into module/IncusBackup.");
        }

        var session = new PowerShellSession(new TestPSHost(nonInteractive), InitialSessionState.CreateDefault2());
        try
        {
            PowerShellResult import = session.InvokeCommand(
                "Import-Module",
                new Hashtable { ["Name"] = moduleDirectory, ["ErrorAction"] = "Stop" });
            if (import.Errors.Count > 0)
            {
                throw new InvalidOperationException($"Import-Module '{moduleDirectory}' failed:{Environment.NewLine}{import.DescribeErrors()}");
            }
        }
        catch
        {
            session.Dispose();
            throw;
        }

        return session;
    }

    /// <summary>
    /// Opens a session with only PowerShell's default commands (no module), optionally adjusting the initial
    /// state first, e.g. to add a cmdlet type: <c>iss => iss.Commands.Add(new SessionStateCmdletEntry(...))</c>.
    /// </summary>
    public static PowerShellSession CreateWithoutModule(Action<InitialSessionState>? configure = null, bool nonInteractive = false)
    {
        InitialSessionState initialState = InitialSessionState.CreateDefault2();
        configure?.Invoke(initialState);
        return new PowerShellSession(new TestPSHost(nonInteractive), initialState);
    }

    /// <summary>See <see cref="TestHostUI.NonInteractive"/>.</summary>
    public bool NonInteractive
    {
        get => Host.NonInteractive;
        set => Host.NonInteractive = value;
    }

    public void EnqueueChoice(int index) => Host.UI.EnqueueChoice(index);

    public void EnqueueChoice(string label) => Host.UI.EnqueueChoice(label);

    public void SetVariable(string name, object? value)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _runspace.SessionStateProxy.SetVariable(name, value);
    }

    public object? GetVariable(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _runspace.SessionStateProxy.GetVariable(name);
    }

    /// <summary>
    /// Runs <paramref name="script"/> after setting <paramref name="variables"/> (name -> value) in the session.
    /// A statement-terminating error of a command inside a script is written to the error stream and the script
    /// goes on, as in pwsh; <c>throw</c> and <c>-ErrorAction Stop</c> end it (<see cref="PowerShellResult.HadTerminatingError"/>).
    /// </summary>
    /// <exception cref="UnscriptedPromptException">The code prompted and no answer was queued.</exception>
    public PowerShellResult Invoke(string script, IDictionary? variables = null) =>
        Run(ps => ps.AddScript(script), script, variables);

    /// <summary>
    /// Runs one command with <paramref name="parameters"/> (name -> value; a switch takes <c>true</c>). Unlike a
    /// script, a terminating error of the command (ThrowTerminatingError) ends the invocation and is reported as
    /// <see cref="PowerShellResult.TerminatingError"/>.
    /// </summary>
    public PowerShellResult InvokeCommand(string commandName, IDictionary? parameters = null) =>
        Run(
            ps =>
            {
                ps.AddCommand(commandName);
                if (parameters is not null)
                {
                    ps.AddParameters(parameters);
                }
            },
            commandName,
            variables: null);

    /// <summary>
    /// Starts <paramref name="script"/>, polls <paramref name="condition"/> until it holds, then stops the pipeline
    /// as Ctrl+C does and waits for it to end. Returns early (without stopping) if the script completes first.
    /// </summary>
    /// <exception cref="TimeoutException">The condition did not hold within <paramref name="timeout"/> (the pipeline is
    /// stopped first), or the pipeline did not end within <see cref="StopGracePeriod"/> of the stop.</exception>
    public PowerShellResult StopWhen(string script, Func<bool> condition, TimeSpan timeout, IDictionary? variables = null) =>
        StopWhen(script, _ => condition(), timeout, variables);

    /// <summary>As <see cref="StopWhen(string, Func{bool}, TimeSpan, IDictionary?)"/>, with a condition on the output so far.</summary>
    public PowerShellResult StopWhen(string script, Func<IReadOnlyList<PSObject>, bool> outputCondition, TimeSpan timeout, IDictionary? variables = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        SetVariables(variables);
        HostRecordingMark mark = Host.UI.Mark();
        using PowerShell ps = PowerShell.Create();
        ps.Runspace = _runspace;
        ps.AddScript(script);
        using var output = new PSDataCollection<PSObject>();
        IAsyncResult running = ps.BeginInvoke<PSObject, PSObject>(null, output);

        var clock = Stopwatch.StartNew();
        bool conditionMet = false;
        while (!running.IsCompleted)
        {
            if (outputCondition(output.ToList()))
            {
                conditionMet = true;
                break;
            }

            if (clock.Elapsed > timeout)
            {
                break;
            }

            Thread.Sleep(s_pollInterval);
        }

        TimeSpan? stopDuration = null;
        bool stopRequested = !running.IsCompleted;
        if (stopRequested)
        {
            // BeginStop rather than Stop: a command that ignores the stop must fail the test, not hang it.
            var stopClock = Stopwatch.StartNew();
            IAsyncResult stopping = ps.BeginStop(null, null);
            if (!running.AsyncWaitHandle.WaitOne(StopGracePeriod))
            {
                throw new TimeoutException(
                    $"The pipeline did not end within {StopGracePeriod.TotalSeconds:0.###} s of the stop request: " +
                    $"the code under test does not honour Stop (Ctrl+C). Script: {script}");
            }

            stopping.AsyncWaitHandle.WaitOne(StopGracePeriod);
            stopDuration = stopClock.Elapsed;
        }

        ErrorRecord? terminatingError = null;
        bool wasStopped = false;
        try
        {
            ps.EndInvoke(running);
        }
        catch (PipelineStoppedException)
        {
            wasStopped = true;
        }
        catch (RuntimeException ex)
        {
            terminatingError = ex.ErrorRecord;
        }

        if (stopRequested && !conditionMet)
        {
            throw new TimeoutException($"The stop condition did not hold within {timeout}; the pipeline was stopped. Script: {script}");
        }

        PowerShellResult result = Collect(ps, new Collection<PSObject>(output.ToList()), mark, terminatingError) with
        {
            StopRequested = stopRequested,
            WasStopped = wasStopped,
            StopDuration = stopDuration,
        };
        ThrowIfUnscriptedPrompt(result, script);
        return result;
    }

    /// <summary>Starts <paramref name="script"/> and stops it after <paramref name="delay"/> (unless it completed before).</summary>
    public PowerShellResult StopAfter(string script, TimeSpan delay, IDictionary? variables = null)
    {
        var clock = Stopwatch.StartNew();
        return StopWhen(script, () => clock.Elapsed >= delay, delay + TimeSpan.FromSeconds(5), variables);
    }

    /// <summary>Reads a property of an output object, converting it to <typeparamref name="T"/> the PowerShell way.</summary>
    /// <exception cref="KeyNotFoundException">The object has no such property (the message lists those it has).</exception>
    public static T? Prop<T>(PSObject obj, string name)
    {
        ArgumentNullException.ThrowIfNull(obj);
        PSPropertyInfo property = obj.Properties[name] ?? throw new KeyNotFoundException(
            $"{obj.BaseObject.GetType().FullName} has no property '{name}'. It has: " +
            string.Join(", ", obj.Properties.Select(p => p.Name)));
        object? value = property.Value;
        if (value is PSObject wrapped && wrapped.BaseObject is not PSCustomObject)
        {
            value = wrapped.BaseObject;
        }

        return value switch
        {
            null => default,
            T typed => typed,
            _ => LanguagePrimitives.ConvertTo<T>(value),
        };
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _runspace.Dispose();
    }

    private PowerShellResult Run(Action<PowerShell> build, string description, IDictionary? variables)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        SetVariables(variables);
        HostRecordingMark mark = Host.UI.Mark();
        using PowerShell ps = PowerShell.Create();
        ps.Runspace = _runspace;
        build(ps);

        // Collect into our own buffer so that output written before a terminating error is kept.
        using var output = new PSDataCollection<PSObject>();
        ErrorRecord? terminatingError = null;
        try
        {
            ps.Invoke(null, output);
        }
        catch (RuntimeException ex)
        {
            // throw / -ErrorAction Stop (ActionPreferenceStopException carries the original record) / ThrowTerminatingError.
            terminatingError = ex.ErrorRecord;
        }

        PowerShellResult result = Collect(ps, new Collection<PSObject>(output.ToList()), mark, terminatingError);
        ThrowIfUnscriptedPrompt(result, description);
        return result;
    }

    private void SetVariables(IDictionary? variables)
    {
        if (variables is null)
        {
            return;
        }

        foreach (DictionaryEntry entry in variables)
        {
            SetVariable(entry.Key.ToString()!, entry.Value);
        }
    }

    private PowerShellResult Collect(PowerShell ps, Collection<PSObject> output, HostRecordingMark mark, ErrorRecord? terminatingError)
    {
        HostCapture host = Host.UI.CaptureSince(mark);
        var errors = ps.Streams.Error.ToList();
        if (terminatingError is not null && !errors.Contains(terminatingError))
        {
            errors.Add(terminatingError);
        }

        return new PowerShellResult
        {
            Output = output,
            Errors = errors,
            Warnings = ps.Streams.Warning.Select(w => w.Message).ToList(),
            Verbose = ps.Streams.Verbose.Select(v => v.Message).ToList(),
            Debug = ps.Streams.Debug.Select(d => d.Message).ToList(),
            Information = ps.Streams.Information.ToList(),
            Progress = host.ProgressRecords,
            WhatIfLines = host.WhatIfLines,
            Prompts = host.Prompts,
            HostLines = host.Lines,
            TerminatingError = terminatingError,
        };
    }

    private static void ThrowIfUnscriptedPrompt(PowerShellResult result, string description)
    {
        // Fail even if the code under test caught the host's exception and carried on.
        HostPrompt? unscripted = result.Prompts.FirstOrDefault(p => p.Outcome == HostPromptOutcome.Unscripted);
        if (unscripted is not null)
        {
            throw new UnscriptedPromptException(unscripted, description);
        }
    }
}

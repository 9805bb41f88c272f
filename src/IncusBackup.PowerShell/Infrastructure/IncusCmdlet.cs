using System.Management.Automation;
using System.Reflection;
using IncusBackup.Errors;
using IncusBackup.Incus;

namespace IncusBackup.PowerShell.Infrastructure;

/// <summary>
/// Base of every cmdlet: connecting to Incus, turning engine exceptions into ErrorRecords with stable ErrorIds,
/// and running async engine calls on the pipeline thread with Ctrl+C wired to cancellation.
/// </summary>
public abstract class IncusCmdlet : PSCmdlet
{
    public static string ToolVersion { get; } =
        typeof(IncusCmdlet).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>Connects to the local Incus server and checks it answers; an unreachable server is terminating.</summary>
    protected IncusClient ConnectIncus()
    {
        IncusClient? client = null;
        try
        {
            client = IncusClient.ConnectUnixSocket();
            if (MyInvocation.BoundParameters.ContainsKey("Debug") || DebugPreferenceIsOn())
            {
                var debugQueue = DebugLines;
                client.Trace = line => debugQueue.Enqueue("Incus API: " + line);
            }
            var server = Await(client.GetServerAsync);
            WriteVerbose($"Connected to Incus {server.Environment.ServerVersion} at {client.Endpoint}.");
            return client;
        }
        catch (IncusBackupException e)
        {
            client?.Dispose();
            ThrowTerminatingError(ErrorRecordFactory.From(e));
            throw; // not reached
        }
    }

    /// <summary>API trace lines gathered on worker threads, written under -Debug on the pipeline thread.</summary>
    internal System.Collections.Concurrent.ConcurrentQueue<string> DebugLines { get; } = new();

    /// <summary>Writes the API trace lines gathered so far (pipeline thread only).</summary>
    internal void FlushDebugLines()
    {
        while (DebugLines.TryDequeue(out var line)) WriteDebug(line);
    }

    /// <summary>Runs an engine call to completion on the pipeline thread; Ctrl+C cancels it.</summary>
    protected T Await<T>(Func<CancellationToken, Task<T>> call)
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

    protected void WriteError(Exception e, object? target = null) => WriteError(ErrorRecordFactory.From(e, target));

    protected void ThrowTerminating(IncusBackupException e) => ThrowTerminatingError(ErrorRecordFactory.From(e));

    private bool DebugPreferenceIsOn() =>
        GetVariableValue("DebugPreference") is ActionPreference pref && pref != ActionPreference.SilentlyContinue && pref != ActionPreference.Ignore;
}

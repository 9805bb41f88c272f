using IncusBackup.Incus;
using IncusBackup.Reporting;

namespace IncusBackup.Restore;

/// <summary>Starting, stopping and deleting instances the way a restore needs: patiently, and robust to the server's quirks.</summary>
internal static class InstancePower
{
    private const int StopTimeoutSeconds = 30;

    /// <summary>How long cleanup may take when it runs after a cancellation (it must not be cancelled itself).</summary>
    public static readonly TimeSpan CleanupLimit = TimeSpan.FromSeconds(120);

    /// <summary>
    /// Stops cleanly (30 s), then forcefully if the instance does not shut down; an instance already stopped is fine,
    /// and so is an operation the server forgot before we read it, when the instance is stopped (a loaded server
    /// forgets finished operations after 5 s: reporting that as a failure would leave a stopped instance unrecorded).
    /// </summary>
    public static async Task StopAsync(IIncusServer server, string project, string name, IReporter reporter, CancellationToken ct)
    {
        try
        {
            await server.Instances.ChangeStateAsync(project, name, InstanceAction.Stop, ct, timeoutSeconds: StopTimeoutSeconds).ConfigureAwait(false);
        }
        catch (IncusApiException e) when (!e.Message.Contains("already stopped", StringComparison.OrdinalIgnoreCase))
        {
            reporter.Warning($"{project}/{name} did not stop within {StopTimeoutSeconds} s ({e.Message}); forcing it.");
            try
            {
                await server.Instances.ChangeStateAsync(project, name, InstanceAction.Stop, ct, force: true, timeoutSeconds: StopTimeoutSeconds).ConfigureAwait(false);
            }
            catch (IncusOperationLostException)
            {
                await EnsureStatusAsync(server, project, name, InstanceStatus.Stopped, ct).ConfigureAwait(false);
            }
        }
        catch (IncusApiException)
        {
            // Already stopped: the goal is reached.
        }
        catch (IncusOperationLostException)
        {
            await EnsureStatusAsync(server, project, name, InstanceStatus.Stopped, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Starts the instance; an operation the server forgot before we read it counts when the instance runs.</summary>
    public static async Task StartAsync(IIncusServer server, string project, string name, CancellationToken ct)
    {
        try
        {
            await server.Instances.ChangeStateAsync(project, name, InstanceAction.Start, ct, timeoutSeconds: StopTimeoutSeconds).ConfigureAwait(false);
        }
        catch (IncusOperationLostException)
        {
            await EnsureStatusAsync(server, project, name, InstanceStatus.Running, ct).ConfigureAwait(false);
        }
    }

    /// <summary>After a lost operation: the instance's state says whether it did what was asked; if not, the loss is the error.</summary>
    private static async Task EnsureStatusAsync(IIncusServer server, string project, string name, string wanted, CancellationToken ct)
    {
        var instance = await server.Instances.TryGetAsync(project, name, ct).ConfigureAwait(false);
        if (instance?.Status != wanted)
        {
            throw new IncusApiException(500, $"The server forgot the operation that was to make {project}/{name} {wanted.ToLowerInvariant()}, and it is {instance?.Status.ToLowerInvariant() ?? "gone"}.");
        }
    }

    /// <summary>Sets or clears the ephemeral flag (live: Incus allows it on a running instance).</summary>
    public static async Task SetEphemeralAsync(IIncusServer server, string project, string name, bool ephemeral, CancellationToken ct)
    {
        var instance = await server.Instances.TryGetAsync(project, name, ct).ConfigureAwait(false)
            ?? throw new IncusApiException(404, $"Instance {project}/{name} not found");
        if (instance.Ephemeral == ephemeral) return;
        var update = instance.ToUpdate();
        update.Ephemeral = ephemeral;
        await server.Instances.UpdateAsync(project, name, update, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Clears an instance's NIC hardware addresses (volatile.*.hwaddr), so that another instance with the same
    /// addresses can start on a managed network (Incus refuses a MAC address another instance holds); returns what
    /// it cleared, for <see cref="SetConfigAsync"/> to put back. Cleared addresses are generated anew at its next start.
    /// </summary>
    public static async Task<Dictionary<string, string>> ReleaseHardwareAddressesAsync(IIncusServer server, string project, string name, CancellationToken ct)
    {
        var instance = await server.Instances.TryGetAsync(project, name, ct).ConfigureAwait(false)
            ?? throw new IncusApiException(404, $"Instance {project}/{name} not found");
        var held = instance.Config.Where(c => IsHardwareAddress(c.Key) && c.Value.Length > 0).ToDictionary(c => c.Key, c => c.Value);
        if (held.Count == 0) return held;
        await SetConfigAsync(server, project, name, held.ToDictionary(c => c.Key, _ => ""), ct).ConfigureAwait(false);
        return held;
    }

    /// <summary>Sets config keys of an instance, keeping everything else (GET, then PUT of the whole instance).</summary>
    public static async Task SetConfigAsync(IIncusServer server, string project, string name, IReadOnlyDictionary<string, string> values, CancellationToken ct)
    {
        var instance = await server.Instances.TryGetAsync(project, name, ct).ConfigureAwait(false)
            ?? throw new IncusApiException(404, $"Instance {project}/{name} not found");
        var update = instance.ToUpdate();
        foreach (var (key, value) in values) update.Config[key] = value;
        await server.Instances.UpdateAsync(project, name, update, ct).ConfigureAwait(false);
    }

    private static bool IsHardwareAddress(string key) =>
        key.StartsWith("volatile.", StringComparison.Ordinal) && key.EndsWith(".hwaddr", StringComparison.Ordinal);

    /// <summary>Deletes an instance (stopping it by force first); one already gone is fine. Never cancelled: this is cleanup.</summary>
    public static async Task DeleteAsync(IIncusServer server, string project, string name)
    {
        using var limit = new CancellationTokenSource(CleanupLimit);
        var instance = await server.Instances.TryGetAsync(project, name, limit.Token).ConfigureAwait(false);
        if (instance is null) return;
        if (instance.IsActive)
            await server.Instances.ChangeStateAsync(project, name, InstanceAction.Stop, limit.Token, force: true).ConfigureAwait(false);
        await server.Instances.DeleteAsync(project, name, limit.Token).ConfigureAwait(false);
    }
}

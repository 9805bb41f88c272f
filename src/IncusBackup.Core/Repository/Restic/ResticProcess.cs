using System.ComponentModel;
using System.Diagnostics;
using IncusBackup.IO;

namespace IncusBackup.Repository.Restic;

/// <summary>Starts restic and runs it to the end, for the short commands (snapshots, forget, tag, cat config).</summary>
internal static class ResticProcess
{
    public static Process Start(ProcessStartInfo info)
    {
        try
        {
            return Process.Start(info) ?? throw new InvalidOperationException("Process.Start returned nothing.");
        }
        catch (Win32Exception e)
        {
            throw ResticErrors.NotInstalled(info.FileName, e);
        }
    }

    /// <summary>Runs restic with no input and returns its stdout; a non-zero exit becomes an error naming <paramref name="what"/>.</summary>
    public static async Task<string> RunAsync(ProcessStartInfo info, string location, string what, CancellationToken ct)
    {
        using var process = Start(info);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        try
        {
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Stop(process);
            throw;
        }
        var output = await stdout.ConfigureAwait(false);
        var errors = await stderr.ConfigureAwait(false);
        if (process.ExitCode != 0) throw ResticErrors.From(location, what, process.ExitCode, errors);
        return output;
    }

    /// <summary>
    /// Stops a restic run that is no longer wanted. restic removes its lock from the repository when interrupted
    /// (SIGINT), not when killed, so it is interrupted first; one that has not ended after a while (its server gone)
    /// is killed, and the lock it leaves is what the next run's <c>restic unlock</c> removes.
    /// </summary>
    public static void Stop(Process process)
    {
        try
        {
            if (process.HasExited) return;
            if (Posix.Interrupt(process.Id) && process.WaitForExit(StopGrace)) return;
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
    }

    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);

    public static string Run(ProcessStartInfo info, string location, string what) =>
        RunAsync(info, location, what, CancellationToken.None).GetAwaiter().GetResult();
}

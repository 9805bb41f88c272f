using System.ComponentModel;
using System.Diagnostics;

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
            // restic releases its lock on SIGTERM-like kills only partly; a stale lock is what 'restic unlock' clears.
            process.Kill(entireProcessTree: true);
            throw;
        }
        var output = await stdout.ConfigureAwait(false);
        var errors = await stderr.ConfigureAwait(false);
        if (process.ExitCode != 0) throw ResticErrors.From(location, what, process.ExitCode, errors);
        return output;
    }

    public static string Run(ProcessStartInfo info, string location, string what) =>
        RunAsync(info, location, what, CancellationToken.None).GetAwaiter().GetResult();
}

using System.Diagnostics;
using System.Text.Json;

namespace IncusBackup.Tests.Infrastructure;

/// <summary>
/// Runs the <c>incus</c> command line, as an operator would, to set up and inspect what the module did.
/// Arguments are passed as a list (no shell), stdin is closed so nothing can wait for a terminal.
/// </summary>
public static class IncusCli
{
    public const string ExecutableName = "incus";

    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);

    private static readonly TimeSpan s_availabilityTimeout = TimeSpan.FromSeconds(20);

    private static readonly Lazy<string?> s_unavailableReason = new(ProbeAvailability, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>incus is on PATH and <c>incus info</c> succeeds (checked once per test run).</summary>
    public static bool Available => s_unavailableReason.Value is null;

    /// <summary>Why <see cref="Available"/> is false; null when it is true.</summary>
    public static string? UnavailableReason => s_unavailableReason.Value;

    /// <summary>Runs incus and returns its stdout.</summary>
    /// <exception cref="IncusCliException">Non-zero exit (the message includes stderr).</exception>
    /// <exception cref="TimeoutException">It ran longer than <see cref="DefaultTimeout"/> (it is killed).</exception>
    public static string Run(params string[] arguments) => Run(arguments, DefaultTimeout);

    /// <inheritdoc cref="Run(string[])"/>
    public static string Run(IReadOnlyList<string> arguments, TimeSpan timeout)
    {
        IncusCliResult result = Execute(arguments, timeout);
        return result.Succeeded ? result.StandardOutput : throw new IncusCliException(result);
    }

    /// <summary>Runs incus and returns the outcome whatever the exit code.</summary>
    /// <exception cref="TimeoutException">It ran longer than <paramref name="timeout"/> (it is killed).</exception>
    public static IncusCliResult Execute(IReadOnlyList<string> arguments, TimeSpan? timeout = null)
    {
        TimeSpan limit = timeout ?? DefaultTimeout;
        var startInfo = new ProcessStartInfo(ExecutableName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)
            ?? throw new InvalidOperationException($"Could not start '{ExecutableName}'.");
        process.StandardInput.Close();
        // Read both pipes concurrently: a full stderr pipe would otherwise block the process.
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException(
                $"'{new IncusCliResult(arguments, -1, string.Empty, string.Empty).CommandLine}' did not finish within {limit.TotalSeconds:0} s.");
        }

        process.WaitForExit(); // flushes the asynchronous readers
        return new IncusCliResult(arguments, process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    /// <summary><c>incus query &lt;path&gt;</c> (REST GET), parsed.</summary>
    public static JsonElement Query(string path)
    {
        using JsonDocument document = JsonDocument.Parse(Run("query", path));
        return document.RootElement.Clone();
    }

    /// <summary>Full path of the incus executable on PATH, or null.</summary>
    public static string? FindExecutable()
    {
        string? path = Environment.GetEnvironmentVariable("PATH");
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, ExecutableName))
            .FirstOrDefault(File.Exists);
    }

    private static string? ProbeAvailability()
    {
        if (FindExecutable() is null)
        {
            return $"'{ExecutableName}' is not on PATH.";
        }

        try
        {
            IncusCliResult info = Execute(["info"], s_availabilityTimeout);
            return info.Succeeded ? null : $"'incus info' failed ({info.ExitCode}): {info.StandardError.Trim()}";
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return $"'incus info' failed: {ex.Message}";
        }
    }
}

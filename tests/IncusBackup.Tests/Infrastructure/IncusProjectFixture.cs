using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace IncusBackup.Tests.Infrastructure;

/// <summary>
/// A throw-away Incus project per test class (use as <c>IClassFixture&lt;IncusProjectFixture&gt;</c>).
/// The project <c>t-&lt;8 hex&gt;</c> shares the default project's images (features.images=false, so the
/// <c>busybox-test</c> image is visible) and has its own profiles, whose <c>default</c> profile gets a root disk
/// on pool <c>default</c>. Disposal deletes everything in it, on failure too, logging rather than throwing.
/// </summary>
public sealed class IncusProjectFixture : IAsyncLifetime, IDisposable
{
    public const string DefaultImage = "busybox-test";
    public const string DefaultPool = "default";

    private static readonly TimeSpan s_execReadyTimeout = TimeSpan.FromSeconds(60);

    private readonly IMessageSink? _diagnostics;
    private readonly RecordedList<string> _cleanupLog = new();
    private readonly Lock _lifecycleGate = new();
    private bool _created;
    private bool _cleanedUp;

    /// <summary>xunit passes its diagnostic sink; tests creating a fixture by hand may pass null.</summary>
    public IncusProjectFixture(IMessageSink? diagnosticMessageSink = null)
    {
        _diagnostics = diagnosticMessageSink;
        Project = "t-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
    }

    /// <summary>Name of this fixture's project.</summary>
    public string Project { get; }

    /// <summary>Cleanup problems (and what was removed), also sent to xunit's diagnostic sink and stderr.</summary>
    public IReadOnlyList<string> CleanupLog => _cleanupLog;

    /// <summary>The project exists (created and not yet deleted by this fixture).</summary>
    public bool IsCreated => _created && !_cleanedUp;

    public Task InitializeAsync() => Task.Run(Create);

    public Task DisposeAsync() => Task.Run(Cleanup);

    // xunit calls DisposeAsync and then Dispose on class fixtures; cleanup runs once.
    public void Dispose() => Cleanup();

    // ---- helpers used by tests ------------------------------------------------------------------------------

    /// <summary>Runs incus with <c>--project</c> set to this project; returns stdout.</summary>
    public string Incus(params string[] arguments)
    {
        EnsureCreated();
        return IncusCli.Run([.. arguments, "--project", Project]);
    }

    /// <summary>Launches a container (with extra <c>incus launch</c> options, e.g. --storage) and waits until <c>incus exec</c> works in it.</summary>
    public void LaunchContainer(string name, string image = DefaultImage, params string[] options)
    {
        Incus(["launch", image, name, .. options]);
        WaitUntilExecWorks(name);
    }

    /// <summary>Runs <paramref name="shellCommand"/> with <c>sh -c</c> inside the instance; returns stdout.</summary>
    public string Exec(string instance, string shellCommand)
    {
        EnsureCreated();
        return IncusCli.Run("exec", "--project", Project, instance, "--", "sh", "-c", shellCommand);
    }

    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> (absolute) in the instance, creating directories.</summary>
    public void WriteFile(string instance, string path, byte[] content)
    {
        using var local = new TempFile();
        File.WriteAllBytes(local.Path, content);
        Incus("file", "push", "--create-dirs", local.Path, $"{instance}{AbsolutePath(path)}");
    }

    /// <summary>Reads the file at <paramref name="path"/> (absolute) in the instance, byte for byte.</summary>
    public byte[] ReadFile(string instance, string path)
    {
        using var local = new TempFile();
        Incus("file", "pull", $"{instance}{AbsolutePath(path)}", local.Path);
        return File.ReadAllBytes(local.Path);
    }

    public void CreateSnapshot(string instance, string snapshot) => Incus("snapshot", "create", instance, snapshot);

    public void CreateVolume(string pool, string name) => Incus("storage", "volume", "create", pool, name);

    /// <summary>Attaches a custom volume at <paramref name="path"/>; the disk device is named after the volume.</summary>
    public void AttachVolume(string pool, string volume, string instance, string path) =>
        Incus("storage", "volume", "attach", pool, volume, instance, volume, path);

    public void StartInstance(string name) => Incus("start", name);

    public void StopInstance(string name, bool force = true)
    {
        if (force)
        {
            Incus("stop", name, "--force");
        }
        else
        {
            Incus("stop", name);
        }
    }

    /// <summary>Names of the instances in this project.</summary>
    public IReadOnlyList<string> ListInstances() => QueryNames("/1.0/instances");

    /// <summary>Names of the custom volumes in <paramref name="pool"/> (snapshots excluded).</summary>
    public IReadOnlyList<string> ListVolumes(string pool) =>
        QueryNames($"/1.0/storage-pools/{Escape(pool)}/volumes/custom").Where(IsNotSnapshot).ToList();

    /// <summary>Snapshot names (without the "instance/" prefix).</summary>
    public IReadOnlyList<string> ListSnapshots(string instance) =>
        QueryNames($"/1.0/instances/{Escape(instance)}/snapshots").Select(AfterSlash).ToList();

    /// <summary>Server-side backups of an instance (names without the "instance/" prefix); temporary ones must not linger.</summary>
    public IReadOnlyList<string> ListServerBackups(string instance) =>
        QueryNames($"/1.0/instances/{Escape(instance)}/backups").Select(AfterSlash).ToList();

    /// <summary>Server-side backups of a custom volume (names without the "volume/" prefix).</summary>
    public IReadOnlyList<string> ListVolumeServerBackups(string pool, string volume) =>
        QueryNames($"/1.0/storage-pools/{Escape(pool)}/volumes/custom/{Escape(volume)}/backups").Select(AfterSlash).ToList();

    /// <summary>"Running", "Stopped" or "Frozen".</summary>
    public string InstanceState(string name) =>
        Query($"/1.0/instances/{Escape(name)}").GetProperty("status").GetString()
        ?? throw new InvalidOperationException($"Instance '{name}' has no status.");

    /// <summary>GET <paramref name="path"/> in this project (adds <c>project=</c> to the query string).</summary>
    public JsonElement Query(string path)
    {
        EnsureCreated();
        return IncusCli.Query(WithProject(path));
    }

    // ---- lifecycle ------------------------------------------------------------------------------------------

    private void Create()
    {
        lock (_lifecycleGate)
        {
            if (IncusTestEnvironment.SkipReason is not null)
            {
                // Tests of this class are skipped; leave the helpers unusable rather than failing the class.
                return;
            }

            IncusTestEnvironment.EnsureAvailable();
            IncusCli.Run("project", "create", Project, "-c", "features.images=false", "-c", "features.profiles=true");
            _created = true;
            try
            {
                IncusCli.Run("profile", "device", "add", "default", "root", "disk", "path=/", $"pool={DefaultPool}", "--project", Project);
            }
            catch
            {
                CleanupLocked();
                throw;
            }
        }
    }

    private void Cleanup()
    {
        lock (_lifecycleGate)
        {
            CleanupLocked();
        }
    }

    private void CleanupLocked()
    {
        if (!_created || _cleanedUp)
        {
            return;
        }

        _cleanedUp = true;
        // Each step on its own: one failure must not keep the others from running.
        foreach (string instance in TryList(() => QueryNamesUnchecked("/1.0/instances"), "instances"))
        {
            TryCleanup($"delete instance {instance}", () => IncusCli.Run("delete", "--force", instance, "--project", Project));
        }

        foreach (string pool in TryList(() => IncusCli.Query("/1.0/storage-pools?recursion=1").EnumerateArray().Select(p => p.GetProperty("name").GetString()!).ToList(), "storage pools"))
        {
            // The listing includes volume snapshots as "volume/snapshot"; deleting the volume removes them.
            IReadOnlyList<string> volumes = TryList(() => QueryNamesUnchecked($"/1.0/storage-pools/{Escape(pool)}/volumes/custom"), $"volumes in pool {pool}");
            foreach (string volume in volumes.Where(IsNotSnapshot))
            {
                TryCleanup($"delete volume {pool}/{volume}", () => IncusCli.Run("storage", "volume", "delete", pool, volume, "--project", Project));
            }
        }

        foreach (string profile in TryList(() => QueryNamesUnchecked("/1.0/profiles"), "profiles").Where(p => p != "default"))
        {
            TryCleanup($"delete profile {profile}", () => IncusCli.Run("profile", "delete", profile, "--project", Project));
        }

        TryCleanup($"delete project {Project}", () => IncusCli.Run("project", "delete", Project));
    }

    private IReadOnlyList<string> TryList(Func<IReadOnlyList<string>> list, string what)
    {
        try
        {
            return list();
        }
        catch (Exception ex)
        {
            Log($"cleanup of project {Project}: could not list {what}: {ex.Message}");
            return [];
        }
    }

    private void TryCleanup(string action, Action step)
    {
        try
        {
            step();
        }
        catch (Exception ex)
        {
            Log($"cleanup of project {Project}: could not {action}: {ex.Message}");
        }
    }

    private void Log(string message)
    {
        _cleanupLog.Add(message);
        Console.Error.WriteLine(message);
        _diagnostics?.OnMessage(new DiagnosticMessage(message));
    }

    private void EnsureCreated()
    {
        if (!IsCreated)
        {
            throw new InvalidOperationException(
                _cleanedUp
                    ? $"Project {Project} was already deleted."
                    : $"Project {Project} was not created: {IncusTestEnvironment.SkipReason ?? "InitializeAsync did not run"}. " +
                      "Use [IncusFact]/[IncusTheory] and IClassFixture<IncusProjectFixture>.");
        }
    }

    private void WaitUntilExecWorks(string instance)
    {
        var clock = Stopwatch.StartNew();
        IncusCliResult last;
        do
        {
            // busybox in the test image has no `true`; a shell builtin works with any image that has sh.
            last = IncusCli.Execute(["exec", "--project", Project, instance, "--", "sh", "-c", "exit 0"]);
            if (last.Succeeded)
            {
                return;
            }

            Thread.Sleep(250);
        }
        while (clock.Elapsed < s_execReadyTimeout);

        throw new TimeoutException($"'incus exec' did not work in {instance} within {s_execReadyTimeout.TotalSeconds:0} s: {last.StandardError.Trim()}");
    }

    private IReadOnlyList<string> QueryNames(string collectionPath)
    {
        EnsureCreated();
        return QueryNamesUnchecked(collectionPath);
    }

    private IReadOnlyList<string> QueryNamesUnchecked(string collectionPath) =>
        IncusCli.Query(WithProject(collectionPath) + "&recursion=1")
            .EnumerateArray()
            .Select(item => item.GetProperty("name").GetString()!)
            .ToList();

    private string WithProject(string path) =>
        path + (path.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "project=" + Escape(Project);

    private static string Escape(string segment) => Uri.EscapeDataString(segment);

    private static bool IsNotSnapshot(string volumeName) => !volumeName.Contains('/', StringComparison.Ordinal);

    private static string AfterSlash(string name) => name[(name.LastIndexOf('/') + 1)..];

    private static string AbsolutePath(string path) => path.StartsWith('/') ? path : "/" + path;
}

using System.Collections.Concurrent;
using IncusBackup.Incus;

namespace IncusBackup.Tests.Fakes;

/// <summary>
/// An Incus server held in memory behind the engine's <see cref="IIncusServer"/> seam, for unit tests of the
/// planner, executor, strategies and backup engine. It keeps instances, custom volumes, pools, projects,
/// profiles, networks, server-side backups and imported archives; every change is logged in <see cref="Calls"/>
/// ("rename instance p/a b"), and <see cref="FailOn"/> makes a chosen call fail as the real server would.
/// Behaviours it copies from Incus 6.0.4: imports arrive stopped, a running instance cannot be renamed or
/// deleted, an ephemeral instance is deleted when it stops, a volume used by a running instance cannot be renamed,
/// renaming a volume repoints the devices of its (stopped) users, operations are waited for through
/// <see cref="IOperationsApi"/>.
/// </summary>
internal sealed class InMemoryIncus : IIncusServer
{
    private readonly object _sync = new();
    private readonly Dictionary<string, Func<Task>> _operations = [];
    private readonly Dictionary<string, Dictionary<string, string>> _operationMetadata = [];
    private int _nextOperation;

    public InMemoryIncus()
    {
        Instances = new InstanceFake(this);
        StorageVolumes = new VolumeFake(this);
        StoragePools = new PoolFake(this);
        Projects = new ProjectFake(this);
        Profiles = new ProfileFake(this);
        Networks = new NetworkFake(this);
        Images = new ImageFake(this);
        Operations = new OperationFake(this);
        Config = new ConfigFake(this);
        ProjectNames.Add("default");
        PoolNames.Add("default");
    }

    public string Endpoint => "memory://incus";

    public ServerInfo Info { get; } = new()
    {
        Auth = "trusted",
        ApiExtensions = ["container_backup", "backup_compression", "custom_volume_backup"],
        Environment = new ServerEnvironment { ServerVersion = "6.0.4-memory", ServerName = "memory" },
    };

    public List<IncusInstance> InstanceList { get; } = [];
    public List<(string Pool, StorageVolume Volume)> VolumeList { get; } = [];
    public HashSet<string> ProjectNames { get; } = [];
    public HashSet<string> PoolNames { get; } = [];

    /// <summary>The driver of each pool not named here is dir.</summary>
    public Dictionary<string, string> PoolDrivers { get; } = [];
    /// <summary>Networks and profiles exist unless named here ("project/name").</summary>
    public HashSet<string> MissingNetworks { get; } = [];
    public HashSet<string> MissingProfiles { get; } = [];

    /// <summary>Profiles with content (a used_by list); any other name not missing is an empty profile.</summary>
    public Dictionary<(string Project, string Name), IncusProfile> ProfileMap { get; } = [];
    public List<IncusImage> ImageList { get; } = [];

    /// <summary>The files of each image by fingerprint, as its export hands them out (one "image", or "metadata" and "rootfs").</summary>
    public Dictionary<string, List<(string Name, byte[] Content)>> ImageFiles { get; } = [];

    /// <summary>
    /// Projects without features.images: as in Incus, they see (list, get, import into, alias) the images of the
    /// default project, which report project "default".
    /// </summary>
    public HashSet<string> ProjectsWithoutImages { get; } = [];

    /// <summary>Snapshot names per instance or volume ("project/name" or "project/pool/name").</summary>
    public Dictionary<string, List<string>> Snapshots { get; } = [];

    /// <summary>The archive an export of a resource ("project/name" or "project/pool/name") returns.</summary>
    public Dictionary<string, byte[]> ExportContent { get; } = [];

    /// <summary>Bytes in use on an instance's root volume ("project/name"), as a copy-on-write driver reports them; absent: none reported (dir).</summary>
    public Dictionary<string, long> RootVolumeUsage { get; } = [];

    /// <summary>Every archive the server received, by the name it was imported as.</summary>
    public ConcurrentDictionary<string, byte[]> Imported { get; } = new();

    /// <summary>Server-side backups that exist now, as "resource/backup".</summary>
    public HashSet<string> ServerBackups { get; } = [];

    /// <summary>Compression algorithms the server rejects with a sync 400, as Incus does for a missing binary.</summary>
    public HashSet<string> UnsupportedCompressions { get; } = [];

    /// <summary>Every change and state action, in order: "import instance p/c1-ibnew", "stop p/c1", "rename volume p/default/v1 v1-ibold"...</summary>
    public ConcurrentQueue<string> Calls { get; } = new();

    /// <summary>Returns an exception for the call (as logged in <see cref="Calls"/>) that must fail, or null.</summary>
    public Func<string, Exception?>? FailOn { get; set; }

    /// <summary>
    /// True for a state action (as logged in <see cref="Calls"/>) whose operation the server forgets before it is read:
    /// the action is done, and the caller hears IncusOperationLostException, as from a loaded incusd after 5 s.
    /// </summary>
    public Func<string, bool>? ForgetOn { get; set; }

    /// <summary>What a command run inside an instance returns; null: exit code 0, no output.</summary>
    public Func<IReadOnlyList<string>, ExecResult>? Exec { get; set; }

    public IInstancesApi Instances { get; }
    public IStorageVolumesApi StorageVolumes { get; }
    public IStoragePoolsApi StoragePools { get; }
    public IProjectsApi Projects { get; }
    public IProfilesApi Profiles { get; }
    public INetworksApi Networks { get; }
    public IImagesApi Images { get; }
    public IOperationsApi Operations { get; }
    public IConfigApi Config { get; }

    /// <summary>The members GET /1.0/cluster/members lists (set Info's ServerClustered too).</summary>
    public List<ClusterMember> Members { get; } = [];

    public IClusterApi Cluster => new ClusterFake(this);

    /// <summary>Logs "use target m" and answers for the whole server: one memory holds every member.</summary>
    public IIncusServer UseTarget(string member)
    {
        Calls.Enqueue($"use target {member}");
        return this;
    }

    private sealed class ClusterFake(InMemoryIncus server) : IClusterApi
    {
        public Task<List<ClusterMember>> ListMembersAsync(CancellationToken ct) => Task.FromResult(server.Members.ToList());
    }

    /// <summary>Declarative config the config API reads and writes, by "Kind:project/name" (IncusBackup.Config.ConfigResource.Key).</summary>
    public Dictionary<string, System.Text.Json.Nodes.JsonObject> ConfigObjects { get; } = [];

    /// <summary>
    /// Every write of the config API with the body and ETag it was sent with, in order: ("create Profile p/web", body, null),
    /// ("update Server server", {"config": {...}}, "\"Server:server#0\"").
    /// </summary>
    public List<(string Call, System.Text.Json.Nodes.JsonObject Body, string? ETag)> ConfigWrites { get; } = [];

    /// <summary>
    /// What GET /1.0/projects?recursion=1 returns, as the API spells it (config, used_by...); when null, one plain
    /// object per <see cref="ProjectNames"/>.
    /// </summary>
    public List<System.Text.Json.Nodes.JsonObject>? ProjectObjects { get; set; }

    /// <summary>A project is there when it is in <see cref="ProjectNames"/> or, when given, in <see cref="ProjectObjects"/>.</summary>
    public bool HasProject(string name) =>
        ProjectNames.Contains(name) || ProjectObjects?.Any(p => p["name"]?.GetValue<string>() == name) == true;

    /// <summary>What GET /1.0/storage-pools?recursion=1 returns; when null, one plain dir pool per <see cref="PoolNames"/>.</summary>
    public List<System.Text.Json.Nodes.JsonObject>? PoolObjects { get; set; }

    /// <summary>What GET /1.0/profiles?recursion=1&amp;project=P returns, by project; a project not here lists its default profile and <see cref="ProfileMap"/>.</summary>
    public Dictionary<string, List<System.Text.Json.Nodes.JsonObject>> ProfileObjects { get; } = [];

    /// <summary>What GET /1.0/networks?recursion=1&amp;project=P returns, by project (nothing for a project not here).</summary>
    public Dictionary<string, List<System.Text.Json.Nodes.JsonObject>> NetworkObjects { get; } = [];

    /// <summary>Every object listing the config reader asked for, in order: "projects", "storage-pools", "profiles p", "networks p".</summary>
    public ConcurrentQueue<string> ObjectListings { get; } = new();

    public Task<ServerInfo> GetServerAsync(CancellationToken ct) => Task.FromResult(Info);

    public void Dispose()
    {
    }

    public IncusInstance AddInstance(string project, string name, string status = InstanceStatus.Stopped, string pool = "default",
        Dictionary<string, Dictionary<string, string>>? devices = null)
    {
        var instance = new IncusInstance
        {
            Name = name, Project = project, Status = status, Profiles = ["default"], Devices = devices ?? [],
            ExpandedDevices = new() { ["root"] = new() { ["type"] = "disk", ["path"] = "/", ["pool"] = pool } },
        };
        lock (_sync) InstanceList.Add(instance);
        return instance;
    }

    public StorageVolume AddVolume(string project, string pool, string name, params string[] usedBy)
    {
        var volume = new StorageVolume { Name = name, Type = "custom", ContentType = "filesystem", Project = project, UsedBy = [.. usedBy] };
        lock (_sync) VolumeList.Add((pool, volume));
        return volume;
    }

    /// <summary>Attaches a volume to an instance: a disk device and a used_by entry, as Incus records them.</summary>
    public void Attach(IncusInstance instance, string pool, StorageVolume volume, string device = "data")
    {
        instance.Devices[device] = new() { ["type"] = "disk", ["pool"] = pool, ["source"] = volume.Name, ["path"] = "/" + device };
        volume.UsedBy.Add($"/1.0/instances/{instance.Name}?project={instance.Project}");
    }

    /// <summary>
    /// Adds an image to <paramref name="project"/> whose export hands out <paramref name="parts"/> (one "image", or
    /// "metadata" then "rootfs"); its fingerprint is the sha256 of the parts in order unless one is given.
    /// </summary>
    public IncusImage AddImage(string project, IReadOnlyList<(string Name, byte[] Content)> parts, string[]? aliases = null,
        Dictionary<string, string>? properties = null, string? fingerprint = null, string type = "container")
    {
        fingerprint ??= Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(parts.SelectMany(p => p.Content).ToArray()));
        var image = new IncusImage
        {
            Fingerprint = fingerprint, Project = project, Type = type, Architecture = "x86_64", Size = parts.Sum(p => (long)p.Content.Length),
            Aliases = [.. (aliases ?? []).Select(a => new ImageAlias { Name = a, Description = "" })],
            Properties = properties ?? [], Profiles = ["default"],
        };
        lock (_sync)
        {
            ImageList.Add(image);
            ImageFiles[fingerprint] = [.. parts];
        }
        return image;
    }

    public IncusImage? FindImage(string project, string fingerprint)
    {
        lock (_sync) return ImageList.FirstOrDefault(i => i.Fingerprint == fingerprint && (i.Project ?? "default") == project);
    }

    public IncusInstance? FindInstance(string project, string name)
    {
        lock (_sync) return InstanceList.FirstOrDefault(i => i.Project == project && i.Name == name);
    }

    public StorageVolume? FindVolume(string project, string pool, string name)
    {
        lock (_sync) return VolumeList.FirstOrDefault(v => v.Pool == pool && (v.Volume.Project ?? "default") == project && v.Volume.Name == name).Volume;
    }

    /// <summary>An import brings the snapshots its index.yaml lists, as the real server's does.</summary>
    private void KeepSnapshotsOf(string resource, byte[] archive)
    {
        try
        {
            var snapshots = IncusBackup.Archive.BackupIndex.ReadIndex(new MemoryStream(archive)).Snapshots;
            if (snapshots.Count > 0) lock (_sync) Snapshots[resource] = [.. snapshots];
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            // Not an archive the tests read: no snapshots.
        }
    }

    /// <summary>A copy's snapshots, and its export: <see cref="CopyExport"/> when set, else the original's.</summary>
    private void CopyData(string original, string copy)
    {
        lock (_sync)
        {
            if (Snapshots.TryGetValue(original, out var snapshots)) Snapshots[copy] = [.. snapshots];
            if (CopyExport?.Invoke(copy) is { } export) ExportContent[copy] = export;
            else if (ExportContent.TryGetValue(original, out var content)) ExportContent[copy] = content;
        }
    }

    /// <summary>What the export of a copy returns, by the copy's "project/name" (or "project/pool/name"); null: the original's export.</summary>
    public Func<string, byte[]?>? CopyExport { get; set; }

    private void Record(string call)
    {
        if (FailOn?.Invoke(call) is { } failure) throw failure;
        Calls.Enqueue(call);
    }

    private string StartOperation(Func<Task> completion, Dictionary<string, string>? metadata = null)
    {
        lock (_sync)
        {
            var id = $"/1.0/operations/op-{++_nextOperation}";
            _operations[id] = completion;
            if (metadata is not null) _operationMetadata[id] = metadata;
            return id;
        }
    }

    private static IncusApiException NotFound(string what) => new(404, what + " not found");

    /// <summary>Copies, so that what a caller does with a listing never changes the server's objects.</summary>
    private static List<System.Text.Json.Nodes.JsonObject> Clone(List<System.Text.Json.Nodes.JsonObject> objects) =>
        [.. objects.Select(o => (System.Text.Json.Nodes.JsonObject)o.DeepClone())];

    private static async Task<byte[]> ReadAllAsync(Stream body, CancellationToken ct)
    {
        using var copy = new MemoryStream();
        await body.CopyToAsync(copy, ct);
        return copy.ToArray();
    }

    private sealed class InstanceFake(InMemoryIncus server) : IInstancesApi
    {
        public Task<List<IncusInstance>> ListAsync(string? project, CancellationToken ct)
        {
            lock (server._sync)
            {
                if (project is not null && !server.HasProject(project)) throw NotFound("Project");
                return Task.FromResult(server.InstanceList.Where(i => project is null || i.Project == project).ToList());
            }
        }

        public Task<IncusInstance?> TryGetAsync(string project, string name, CancellationToken ct) => Task.FromResult(server.FindInstance(project, name));

        public Task<List<IncusSnapshot>> ListSnapshotsAsync(string project, string name, CancellationToken ct) =>
            Task.FromResult(server.Snapshots.GetValueOrDefault($"{project}/{name}", []).Select(s => new IncusSnapshot { Name = s }).ToList());

        public Task<InstanceStateInfo?> TryGetStateAsync(string project, string name, CancellationToken ct) =>
            Task.FromResult<InstanceStateInfo?>(server.FindInstance(project, name) is null ? null : new InstanceStateInfo());

        public Task ChangeStateAsync(string project, string name, InstanceAction action, CancellationToken ct, bool force = false, int timeoutSeconds = 30)
        {
            ct.ThrowIfCancellationRequested();
            var instance = server.FindInstance(project, name) ?? throw NotFound("Instance");
            var call = $"{action.ToString().ToLowerInvariant()}{(force ? " --force" : "")} {project}/{name}";
            server.Record(call);
            instance.Status = action switch
            {
                InstanceAction.Start or InstanceAction.Unfreeze => InstanceStatus.Running,
                InstanceAction.Stop when instance.Status == InstanceStatus.Stopped => throw IncusApiException.OperationFailed("The instance is already stopped"),
                InstanceAction.Stop when instance.Ephemeral => DeleteEphemeral(instance),
                InstanceAction.Stop => InstanceStatus.Stopped,
                InstanceAction.Freeze => InstanceStatus.Frozen,
                _ => instance.Status,
            };
            if (server.ForgetOn?.Invoke(call) == true) throw new IncusOperationLostException("/1.0/operations/forgotten");
            return Task.CompletedTask;
        }

        /// <summary>Incus deletes an ephemeral instance when it stops.</summary>
        private string DeleteEphemeral(IncusInstance instance)
        {
            lock (server._sync) server.InstanceList.Remove(instance);
            server.Calls.Enqueue($"ephemeral {instance.Project}/{instance.Name} deleted");
            return InstanceStatus.Stopped;
        }

        public Task RenameAsync(string project, string name, string newName, CancellationToken ct)
        {
            ct.ThrowIfCancellationRequested();
            var instance = server.FindInstance(project, name) ?? throw NotFound("Instance");
            server.Record($"rename instance {project}/{name} {newName}");
            if (instance.IsActive) throw IncusApiException.OperationFailed("Renaming of running instance not allowed");
            if (server.FindInstance(project, newName) is not null) throw IncusApiException.OperationFailed($"Name \"{newName}\" already in use");
            instance.Name = newName;
            return Task.CompletedTask;
        }

        public Task MoveToMemberAsync(string project, string name, string member, CancellationToken ct)
        {
            ct.ThrowIfCancellationRequested();
            var instance = server.FindInstance(project, name) ?? throw NotFound("Instance");
            server.Record($"move instance {project}/{name} {member}");
            if (instance.IsActive) throw IncusApiException.OperationFailed("Instance must be stopped to be moved");
            instance.Location = member;
            return Task.CompletedTask;
        }

        public Task UpdateAsync(string project, string name, InstanceUpdate update, CancellationToken ct)
        {
            var instance = server.FindInstance(project, name) ?? throw NotFound("Instance");
            server.Record($"update instance {project}/{name}");
            instance.Ephemeral = update.Ephemeral;
            instance.Devices = update.Devices;
            instance.Config = update.Config;
            instance.Profiles = update.Profiles;
            return Task.CompletedTask;
        }

        public Task DeleteAsync(string project, string name, CancellationToken ct)
        {
            var instance = server.FindInstance(project, name) ?? throw NotFound("Instance");
            server.Record($"delete instance {project}/{name}");
            if (instance.IsActive) throw new IncusApiException(400, "Instance is running");
            lock (server._sync) server.InstanceList.Remove(instance);
            return Task.CompletedTask;
        }

        /// <summary>As Incus does: a stopped copy with the source's config (volatile.* regenerated) and the overrides, its snapshots and, here, its export.</summary>
        public Task<string> StartCopyAsync(string project, string source, string name, IReadOnlyDictionary<string, string> config, CancellationToken ct)
        {
            var original = server.FindInstance(project, source) ?? throw NotFound("Instance");
            server.Record($"copy instance {project}/{source} {name}");
            return Task.FromResult(server.StartOperation(() =>
            {
                if (server.FindInstance(project, name) is not null) throw IncusApiException.OperationFailed($"Name \"{name}\" already in use");
                var copy = server.AddInstance(project, name, pool: original.RootPool ?? "default", devices: new(original.Devices));
                copy.Config = original.Config.Where(p => !p.Key.StartsWith("volatile.", StringComparison.Ordinal)).Concat(config).ToDictionary();
                copy.Config["volatile.apply_template"] = "copy";
                server.CopyData($"{project}/{source}", $"{project}/{name}");
                return Task.CompletedTask;
            }));
        }

        public IServerBackups Backups(string project, string name) => new BackupsFake(server, $"{project}/{name}");

        public async Task<string> StartImportAsync(string project, BackupUpload upload, CancellationToken ct)
        {
            var bytes = await ReadAllAsync(upload.Body, ct);
            server.Record($"import instance {project}/{upload.Name}{(upload.Pool is null ? "" : " pool=" + upload.Pool)}");
            if (upload.Length is { } length && length != bytes.Length) throw new IncusApiException(400, "Upload shorter than its Content-Length");
            return server.StartOperation(() =>
            {
                if (server.FindInstance(project, upload.Name) is not null)
                    throw IncusApiException.OperationFailed("Create instance from backup: Cannot restore volume, already exists on target");
                server.Imported[upload.Name] = bytes;
                server.AddInstance(project, upload.Name, pool: upload.Pool ?? "default");
                server.KeepSnapshotsOf($"{project}/{upload.Name}", bytes);
                return Task.CompletedTask;
            });
        }

        public Task<ExecResult> ExecAsync(string project, string name, IReadOnlyList<string> command, CancellationToken ct)
        {
            ct.ThrowIfCancellationRequested();
            var instance = server.FindInstance(project, name) ?? throw NotFound("Instance");
            server.Record($"exec {project}/{name} {string.Join(' ', command)}");
            if (instance.Status != InstanceStatus.Running) throw new IncusApiException(400, "Instance is not running");
            return Task.FromResult(server.Exec?.Invoke(command) ?? new ExecResult(0, "", ""));
        }
    }

    private sealed class VolumeFake(InMemoryIncus server) : IStorageVolumesApi
    {
        public Task<List<StorageVolume>> ListCustomAsync(string? project, string pool, CancellationToken ct)
        {
            lock (server._sync)
            {
                if (project is not null && !server.HasProject(project)) throw NotFound("Project");
                return Task.FromResult(server.VolumeList.Where(v => v.Pool == pool && (project is null || (v.Volume.Project ?? "default") == project)).Select(v => v.Volume).ToList());
            }
        }

        public Task<StorageVolume?> TryGetCustomAsync(string project, string pool, string name, CancellationToken ct) =>
            Task.FromResult(server.FindVolume(project, pool, name));

        public Task<List<string>> ListSnapshotNamesAsync(string project, string pool, string name, CancellationToken ct) =>
            Task.FromResult(server.Snapshots.GetValueOrDefault($"{project}/{pool}/{name}", []).ToList());

        /// <summary>An instance's volume: its config is empty, its creation time the instance's.</summary>
        public Task<StorageVolume?> TryGetInstanceVolumeAsync(string project, string pool, string type, string name, CancellationToken ct) =>
            Task.FromResult(server.FindInstance(project, name) is { } instance && instance.RootPool == pool
                ? new StorageVolume { Name = name, Type = type, Project = project, CreatedAt = instance.CreatedAt }
                : null);

        public Task<VolumeStateInfo?> TryGetStateAsync(string project, string pool, string name, CancellationToken ct) =>
            Task.FromResult<VolumeStateInfo?>(new VolumeStateInfo { Usage = new VolumeUsage { Used = 5 << 20 } });

        public Task<VolumeStateInfo?> TryGetInstanceVolumeStateAsync(string project, string pool, string type, string name, CancellationToken ct) =>
            Task.FromResult<VolumeStateInfo?>(server.FindInstance(project, name) is { } instance && instance.RootPool == pool
                ? new VolumeStateInfo { Usage = server.RootVolumeUsage.TryGetValue($"{project}/{name}", out var used) ? new VolumeUsage { Used = used } : null }
                : null);

        public async Task RenameAsync(string project, string pool, string name, string newName, CancellationToken ct)
        {
            ct.ThrowIfCancellationRequested();
            var volume = server.FindVolume(project, pool, name) ?? throw NotFound("Storage volume");
            server.Record($"rename volume {project}/{pool}/{name} {newName}");
            foreach (var (userProject, userName) in volume.InstanceUsers(project).ToList())
            {
                var user = server.FindInstance(userProject, userName);
                if (user?.IsActive == true) throw new IncusApiException(500, "Volume is still in use by running instances");
            }
            volume.Name = newName;
            foreach (var (userProject, userName) in volume.InstanceUsers(project).ToList())
            {
                // Incus repoints the devices of the (stopped) users to the new name.
                foreach (var device in server.FindInstance(userProject, userName)?.Devices.Values ?? Enumerable.Empty<Dictionary<string, string>>())
                    if (device.GetValueOrDefault("pool") == pool && device.GetValueOrDefault("source") == name) device["source"] = newName;
            }
            await Task.CompletedTask;
        }

        public Task DeleteAsync(string project, string pool, string name, CancellationToken ct)
        {
            var volume = server.FindVolume(project, pool, name) ?? throw NotFound("Storage volume");
            server.Record($"delete volume {project}/{pool}/{name}");
            lock (server._sync) server.VolumeList.RemoveAll(v => ReferenceEquals(v.Volume, volume));
            return Task.CompletedTask;
        }

        public Task CreateCustomAsync(string project, string pool, string name, string contentType, CancellationToken ct)
        {
            if (server.FindVolume(project, pool, name) is not null) throw new IncusApiException(409, $"Volume by that name already exists");
            server.Record($"create volume {project}/{pool}/{name} {contentType}");
            server.AddVolume(project, pool, name);
            return Task.CompletedTask;
        }

        public Task<string> StartCopyAsync(string project, string pool, string source, string name, IReadOnlyDictionary<string, string> config, CancellationToken ct)
        {
            _ = server.FindVolume(project, pool, source) ?? throw NotFound("Storage volume");
            server.Record($"copy volume {project}/{pool}/{source} {name}");
            return Task.FromResult(server.StartOperation(() =>
            {
                if (server.FindVolume(project, pool, name) is not null) throw IncusApiException.OperationFailed($"Volume by that name already exists");
                server.AddVolume(project, pool, name).Config = config.ToDictionary();
                server.CopyData($"{project}/{pool}/{source}", $"{project}/{pool}/{name}");
                return Task.CompletedTask;
            }));
        }

        public IServerBackups Backups(string project, string pool, string name) => new BackupsFake(server, $"{project}/{pool}/{name}");

        public async Task<string> StartImportAsync(string project, string pool, BackupUpload upload, CancellationToken ct)
        {
            var bytes = await ReadAllAsync(upload.Body, ct);
            server.Record($"import volume {project}/{pool}/{upload.Name}");
            return server.StartOperation(() =>
            {
                if (server.FindVolume(project, pool, upload.Name) is not null)
                    throw IncusApiException.OperationFailed($"Volume \"{upload.Name}\" already exists in pool \"{pool}\"");
                server.Imported[upload.Name] = bytes;
                server.AddVolume(project, pool, upload.Name);
                server.KeepSnapshotsOf($"{project}/{pool}/{upload.Name}", bytes);
                return Task.CompletedTask;
            });
        }
    }

    private sealed class BackupsFake(InMemoryIncus server, string resource) : IServerBackups
    {
        public Task<List<ServerBackup>?> TryListAsync(CancellationToken ct)
        {
            lock (server._sync)
            {
                return Task.FromResult<List<ServerBackup>?>(server.ServerBackups.Where(b => b.StartsWith(resource + "/", StringComparison.Ordinal))
                    .Select(b => new ServerBackup { Name = b[(resource.Length + 1)..] }).ToList());
            }
        }

        public Task<ServerBackup?> TryGetAsync(string name, CancellationToken ct)
        {
            lock (server._sync) return Task.FromResult(server.ServerBackups.Contains($"{resource}/{name}") ? new ServerBackup { Name = name } : null);
        }

        public Task<string> StartCreateAsync(ServerBackupRequest request, CancellationToken ct)
        {
            if (request.Compression is { } compression && server.UnsupportedCompressions.Contains(compression))
                throw new IncusApiException(400, $"Compression algorithm \"{compression}\" isn't currently supported");
            server.Record($"create backup {resource} {request.Compression}{(request.WithoutSnapshots ? " only" : "")}");
            lock (server._sync) server.ServerBackups.Add($"{resource}/{request.Name}");
            return Task.FromResult(server.StartOperation(() => Task.CompletedTask));
        }

        public Task DeleteAsync(string name, CancellationToken ct)
        {
            lock (server._sync)
            {
                if (server.ServerBackups.Remove($"{resource}/{name}")) server.Calls.Enqueue($"delete backup {resource} {name}");
            }
            return Task.CompletedTask;
        }

        public Task<BackupDownload> DownloadAsync(string name, long offset, CancellationToken ct)
        {
            if (!server.ServerBackups.Contains($"{resource}/{name}")) throw NotFound("Instance backup");
            var content = server.ExportContent[resource];
            return Task.FromResult(new BackupDownload(new HttpResponseMessage(), new MemoryStream(content, (int)offset, content.Length - (int)offset), offset, content.Length));
        }

        public Task<BackupDownload> ExportDirectAsync(ServerBackupRequest request, CancellationToken ct)
        {
            server.Record($"export {resource} {request.Compression}");
            var content = server.ExportContent[resource];
            return Task.FromResult(new BackupDownload(new HttpResponseMessage(), new MemoryStream(content), 0, content.Length));
        }
    }

    private sealed class PoolFake(InMemoryIncus server) : IStoragePoolsApi
    {
        public Task<List<StoragePool>> ListAsync(CancellationToken ct) =>
            Task.FromResult(server.PoolNames.Order(StringComparer.Ordinal).Select(p => new StoragePool { Name = p, Driver = server.PoolDrivers.GetValueOrDefault(p, "dir") }).ToList());

        public Task<StoragePool?> TryGetAsync(string name, CancellationToken ct) =>
            Task.FromResult(server.PoolNames.Contains(name) ? new StoragePool { Name = name, Driver = server.PoolDrivers.GetValueOrDefault(name, "dir") } : null);

        public Task<List<System.Text.Json.Nodes.JsonObject>> ListObjectsAsync(CancellationToken ct)
        {
            server.ObjectListings.Enqueue("storage-pools");
            return Task.FromResult(server.PoolObjects is { } objects ? Clone(objects)
                : server.PoolNames.Order(StringComparer.Ordinal)
                    .Select(p => new System.Text.Json.Nodes.JsonObject { ["name"] = p, ["driver"] = "dir", ["config"] = new System.Text.Json.Nodes.JsonObject(), ["used_by"] = new System.Text.Json.Nodes.JsonArray() }).ToList());
        }
    }

    private sealed class ProjectFake(InMemoryIncus server) : IProjectsApi
    {
        public Task<List<IncusProject>> ListAsync(CancellationToken ct) =>
            Task.FromResult(server.ProjectNames.Order(StringComparer.Ordinal).Select(p => new IncusProject { Name = p }).ToList());

        public Task<IncusProject?> TryGetAsync(string name, CancellationToken ct) =>
            Task.FromResult(server.ProjectNames.Contains(name) ? new IncusProject { Name = name } : null);

        public Task<List<System.Text.Json.Nodes.JsonObject>> ListObjectsAsync(CancellationToken ct)
        {
            server.ObjectListings.Enqueue("projects");
            return Task.FromResult(server.ProjectObjects is { } objects ? Clone(objects)
                : server.ProjectNames.Order(StringComparer.Ordinal)
                    .Select(p => new System.Text.Json.Nodes.JsonObject { ["name"] = p, ["description"] = "", ["config"] = new System.Text.Json.Nodes.JsonObject() }).ToList());
        }

        public Task CreateAsync(string name, IReadOnlyDictionary<string, string> config, string description, CancellationToken ct)
        {
            ct.ThrowIfCancellationRequested();
            server.Record($"create project {name}");
            lock (server._sync)
            {
                if (!server.ProjectNames.Add(name)) throw new IncusApiException(500, "Project already exists");
                // As Incus does: a project with its own profiles starts with an empty default profile.
                if (config.GetValueOrDefault("features.profiles") == "true")
                {
                    server.ConfigObjects[$"{IncusBackup.Config.ConfigKind.Profile}:{name}/default"] = new System.Text.Json.Nodes.JsonObject
                    {
                        ["name"] = "default", ["description"] = "", ["config"] = new System.Text.Json.Nodes.JsonObject(), ["devices"] = new System.Text.Json.Nodes.JsonObject(),
                    };
                }
            }
            return Task.CompletedTask;
        }

        public Task DeleteAsync(string name, CancellationToken ct)
        {
            server.Record($"delete project {name}");
            lock (server._sync)
            {
                if (!server.ProjectNames.Contains(name)) throw NotFound("Project");
                if (server.InstanceList.Any(i => i.Project == name) || server.VolumeList.Any(v => (v.Volume.Project ?? "default") == name))
                    throw new IncusApiException(400, "Only empty projects can be removed");
                server.ProjectNames.Remove(name);
            }
            return Task.CompletedTask;
        }
    }

    private sealed class ProfileFake(InMemoryIncus server) : IProfilesApi
    {
        public Task<IncusProfile?> TryGetAsync(string project, string name, CancellationToken ct) =>
            Task.FromResult(server.MissingProfiles.Contains($"{project}/{name}") ? null
                : server.ProfileMap.GetValueOrDefault((project, name)) ?? new IncusProfile { Name = name, UsedBy = [] });

        public Task<List<System.Text.Json.Nodes.JsonObject>> ListObjectsAsync(string project, CancellationToken ct)
        {
            server.ObjectListings.Enqueue($"profiles {project}");
            if (server.ProfileObjects.TryGetValue(project, out var objects)) return Task.FromResult(Clone(objects));
            return Task.FromResult(server.ProfileMap.Where(p => p.Key.Project == project).Select(p => p.Value).Prepend(new IncusProfile { Name = "default" })
                .Select(p => new System.Text.Json.Nodes.JsonObject
                {
                    ["name"] = p.Name, ["description"] = p.Description ?? "", ["project"] = project,
                    ["config"] = new System.Text.Json.Nodes.JsonObject(), ["devices"] = new System.Text.Json.Nodes.JsonObject(),
                }).ToList());
        }

        public Task DeleteAsync(string project, string name, CancellationToken ct)
        {
            server.Record($"delete profile {project}/{name}");
            server.ProfileMap.Remove((project, name));
            return Task.CompletedTask;
        }
    }

    private sealed class NetworkFake(InMemoryIncus server) : INetworksApi
    {
        public Task<IncusNetwork?> TryGetAsync(string project, string name, CancellationToken ct) =>
            Task.FromResult(server.MissingNetworks.Contains($"{project}/{name}") ? null : new IncusNetwork { Name = name, Managed = true });

        public Task<List<System.Text.Json.Nodes.JsonObject>> ListObjectsAsync(string project, CancellationToken ct)
        {
            server.ObjectListings.Enqueue($"networks {project}");
            return Task.FromResult(Clone(server.NetworkObjects.GetValueOrDefault(project, [])));
        }
    }

    private sealed class ImageFake(InMemoryIncus server) : IImagesApi
    {
        /// <summary>The project whose images <paramref name="project"/> sees: default for a project without features.images.</summary>
        private string Owner(string project) => server.ProjectsWithoutImages.Contains(project) ? "default" : project;

        private IEnumerable<IncusImage> In(string project) => server.ImageList.Where(i => (i.Project ?? "default") == Owner(project));

        public Task<List<IncusImage>> ListAsync(string project, CancellationToken ct) =>
            Task.FromResult(In(project).ToList());

        public Task<IncusImage?> TryGetAsync(string project, string fingerprint, CancellationToken ct) =>
            Task.FromResult(In(project).FirstOrDefault(i => i.Fingerprint == fingerprint));

        public Task<List<ImageAliasEntry>> ListAliasesAsync(string project, CancellationToken ct) =>
            Task.FromResult(In(project)
                .SelectMany(i => i.Aliases.Select(a => new ImageAliasEntry { Name = a.Name, Description = a.Description, Target = i.Fingerprint })).ToList());

        public async Task ExportAsync(string project, string fingerprint, Func<ImagePart, Task> onPart, CancellationToken ct)
        {
            server.Record($"export image {project}/{fingerprint[..12]}");
            foreach (var (name, content) in server.ImageFiles[fingerprint]) await onPart(new ImagePart(name, name, new MemoryStream(content)));
        }

        public async Task<string> StartImportAsync(string project, ImageUpload upload, CancellationToken ct)
        {
            var parts = new List<(string Name, byte[] Content)>();
            foreach (var part in upload.Parts) parts.Add((part.Name, await ReadAllAsync(part.Body, ct)));
            server.Record($"import image {project} {string.Join("+", parts.Select(p => p.Name))}");
            var fingerprint = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(parts.SelectMany(p => p.Content).ToArray()));
            return server.StartOperation(() =>
            {
                server.ImageFiles[fingerprint] = parts;
                server.ImageList.Add(new IncusImage { Fingerprint = fingerprint, Project = Owner(project), Type = "container" });
                return Task.CompletedTask;
            }, new Dictionary<string, string> { ["fingerprint"] = fingerprint });
        }

        public Task UpdateAsync(string project, string fingerprint, ImageUpdate update, CancellationToken ct)
        {
            server.Record($"update image {project}/{fingerprint[..12]}");
            var image = In(project).First(i => i.Fingerprint == fingerprint);
            (image.Properties, image.Public, image.AutoUpdate, image.Profiles) = (update.Properties, update.Public, update.AutoUpdate, update.Profiles);
            return Task.CompletedTask;
        }

        public Task DeleteAsync(string project, string fingerprint, CancellationToken ct)
        {
            server.Record($"delete image {project}/{fingerprint[..12]}");
            server.ImageList.RemoveAll(i => i.Fingerprint == fingerprint && (i.Project ?? "default") == Owner(project));
            return Task.CompletedTask;
        }

        public Task CreateAliasAsync(string project, string name, string? description, string target, CancellationToken ct)
        {
            server.Record($"create alias {project}/{name} {target[..12]}");
            In(project).First(i => i.Fingerprint == target).Aliases.Add(new ImageAlias { Name = name, Description = description });
            return Task.CompletedTask;
        }

        public async Task UpdateAliasAsync(string project, string name, string? description, string target, CancellationToken ct)
        {
            await DeleteAliasAsync(project, name, ct);
            await CreateAliasAsync(project, name, description, target, ct);
        }

        public Task DeleteAliasAsync(string project, string name, CancellationToken ct)
        {
            server.Record($"delete alias {project}/{name}");
            foreach (var image in In(project)) image.Aliases.RemoveAll(a => a.Name == name);
            return Task.CompletedTask;
        }
    }

    /// <summary>
    /// The config API as Incus 6.0.4 answers it: an ETag per object ("Kind:project/name#version", a new one after
    /// every write) that an update must match (412 otherwise); PUT replaces the fields it is given; the server's keys
    /// are PATCHed (merged, "" removes a key); a new project with features.profiles=true gets its own empty default
    /// profile; creating what exists fails as Incus does for profiles and projects (500).
    /// </summary>
    private sealed class ConfigFake(InMemoryIncus server) : IConfigApi
    {
        private readonly Dictionary<string, int> _versions = [];

        private static string Key(IncusBackup.Config.ConfigKind kind, string? project, string name) =>
            $"{kind}:{(project is null ? "" : project + "/")}{name}";

        private string ETag(string key) => $"\"{key}#{_versions.GetValueOrDefault(key)}\"";

        private void Store(string key, System.Text.Json.Nodes.JsonObject value, bool isNew)
        {
            server.ConfigObjects[key] = value;
            _versions[key] = isNew ? 0 : _versions.GetValueOrDefault(key) + 1;
        }

        public Task<(System.Text.Json.Nodes.JsonObject? Value, string? ETag)> GetAsync(IncusBackup.Config.ConfigKind kind, string? project, string name, CancellationToken ct)
        {
            var key = Key(kind, project, name);
            return Task.FromResult(server.ConfigObjects.TryGetValue(key, out var o)
                ? ((System.Text.Json.Nodes.JsonObject?)o.DeepClone(), (string?)ETag(key))
                : (null, null));
        }

        public Task CreateAsync(IncusBackup.Config.ConfigKind kind, string? project, System.Text.Json.Nodes.JsonObject body, CancellationToken ct)
        {
            var name = body["name"]!.GetValue<string>();
            var call = $"create {kind} {(project is null ? "" : project + "/")}{name}";
            server.Record(call);
            server.ConfigWrites.Add((call, (System.Text.Json.Nodes.JsonObject)body.DeepClone(), null));
            var key = Key(kind, project, name);
            if (server.ConfigObjects.ContainsKey(key)) throw new IncusApiException(500, $"Error inserting \"{name}\" into database: The {kind.ToString().ToLowerInvariant()} already exists");
            Store(key, (System.Text.Json.Nodes.JsonObject)body.DeepClone(), isNew: true);
            if (kind == IncusBackup.Config.ConfigKind.Project && body["config"]?["features.profiles"]?.GetValue<string>() == "true")
            {
                Store(Key(IncusBackup.Config.ConfigKind.Profile, name, "default"), new System.Text.Json.Nodes.JsonObject
                {
                    ["name"] = "default", ["description"] = $"Default Incus profile for project {name}",
                    ["config"] = new System.Text.Json.Nodes.JsonObject(), ["devices"] = new System.Text.Json.Nodes.JsonObject(),
                }, isNew: true);
            }
            return Task.CompletedTask;
        }

        public Task UpdateAsync(IncusBackup.Config.ConfigKind kind, string? project, string name, System.Text.Json.Nodes.JsonObject body, string? etag, CancellationToken ct)
        {
            var call = $"update {kind} {(project is null ? "" : project + "/")}{name}";
            server.Record(call);
            server.ConfigWrites.Add((call, (System.Text.Json.Nodes.JsonObject)body.DeepClone(), etag));
            var key = Key(kind, project, name);
            if (!server.ConfigObjects.TryGetValue(key, out var current)) throw new IncusApiException(404, $"{kind} {name} not found");
            if (etag is not null && etag != ETag(key)) throw new IncusApiException(412, $"ETag doesn't match: {ETag(key)} vs {etag}");
            var updated = (System.Text.Json.Nodes.JsonObject)current.DeepClone();
            if (kind == IncusBackup.Config.ConfigKind.Server)
            {
                if (updated["config"] is not System.Text.Json.Nodes.JsonObject config)
                {
                    config = [];
                    updated["config"] = config;
                }
                foreach (var (k, v) in body["config"] as System.Text.Json.Nodes.JsonObject ?? [])
                {
                    if (v?.GetValue<string>() is null or "") config.Remove(k);
                    else config[k] = v.DeepClone();
                }
            }
            else
            {
                foreach (var (field, value) in body) updated[field] = value?.DeepClone();
            }
            Store(key, updated, isNew: false);
            return Task.CompletedTask;
        }
    }

    private sealed class OperationFake(InMemoryIncus server) : IOperationsApi
    {
        public async Task<IncusOperation> WaitAsync(string operation, Action<IncusOperation>? progress, CancellationToken ct)
        {
            lock (server._sync)
            {
                if (!server._operations.ContainsKey(operation)) throw new IncusOperationLostException(operation);
            }
            // A failure injected here (FailOn "wait /1.0/operations/op-N", or a cancelled token) leaves the operation
            // running, so the caller's cleanup can wait for it again.
            ct.ThrowIfCancellationRequested();
            server.Record($"wait {operation}");
            Func<Task> completion;
            lock (server._sync)
            {
                if (!server._operations.Remove(operation, out completion!)) throw new IncusOperationLostException(operation);
            }
            await completion();
            var metadata = server._operationMetadata.GetValueOrDefault(operation);
            return new IncusOperation
            {
                Id = operation, StatusCode = 200, Status = "Success",
                Metadata = metadata is null ? default : System.Text.Json.JsonSerializer.SerializeToElement(metadata),
            };
        }
    }
}

using System.Text.Json.Serialization;

namespace IncusBackup.Incus;

/// <summary>An instance (container or VM) as GET /1.0/instances/{name} returns it.</summary>
public sealed class IncusInstance
{
    public string Name { get; set; } = "";
    public string Project { get; set; } = "default";
    public string Type { get; set; } = "container";
    public string Status { get; set; } = "";
    public int StatusCode { get; set; }
    public string? Architecture { get; set; }
    public string? Description { get; set; }
    public bool Ephemeral { get; set; }
    public bool Stateful { get; set; }
    public string? Location { get; set; }
    public List<string> Profiles { get; set; } = [];
    public Dictionary<string, string> Config { get; set; } = [];
    public Dictionary<string, Dictionary<string, string>> Devices { get; set; } = [];
    public Dictionary<string, Dictionary<string, string>>? ExpandedDevices { get; set; }
    public Dictionary<string, string>? ExpandedConfig { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>
    /// Anything but stopped: running, frozen, or on the way between (Freezing, Starting...): its processes may
    /// exist, so it may write to its disks.
    /// </summary>
    [JsonIgnore]
    public bool IsActive => Status is not InstanceStatus.Stopped;

    /// <summary>The storage pool of the root disk, from the expanded devices (profiles included).</summary>
    [JsonIgnore]
    public string? RootPool =>
        (ExpandedDevices ?? Devices).Values
            .FirstOrDefault(d => d.GetValueOrDefault("type") == "disk" && d.GetValueOrDefault("path") == "/")
            ?.GetValueOrDefault("pool");

    /// <summary>The writable fields, for a PUT that keeps everything else as it is.</summary>
    public InstanceUpdate ToUpdate() => new()
    {
        Architecture = Architecture, Config = Config, Devices = Devices, Ephemeral = Ephemeral,
        Profiles = Profiles, Stateful = Stateful, Description = Description,
    };
}

/// <summary>The status strings of an instance.</summary>
public static class InstanceStatus
{
    public const string Running = "Running";
    public const string Frozen = "Frozen";
    public const string Stopped = "Stopped";
}

/// <summary>The actions of PUT /1.0/instances/{name}/state.</summary>
public enum InstanceAction
{
    Start,
    Stop,
    Freeze,
    Unfreeze,
}

public sealed class IncusSnapshot
{
    public string Name { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>The parts of GET /1.0/instances/{name}/state we use: disk usage, where the driver reports it.</summary>
public sealed class InstanceStateInfo
{
    public Dictionary<string, DiskUsage>? Disk { get; set; }
}

public sealed class DiskUsage
{
    public long Usage { get; set; }
}

public sealed class InstanceStateRequest
{
    public string Action { get; set; } = "";
    public int Timeout { get; set; } = 30;
    public bool Force { get; set; }
}

/// <summary>The writable fields of an instance, for PUT /1.0/instances/{name} (a device left out is detached).</summary>
public sealed class InstanceUpdate
{
    public string? Architecture { get; set; }
    public Dictionary<string, string> Config { get; set; } = [];
    public Dictionary<string, Dictionary<string, string>> Devices { get; set; } = [];
    public bool Ephemeral { get; set; }
    public List<string> Profiles { get; set; } = [];
    public bool Stateful { get; set; }
    public string? Description { get; set; }
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace IncusBackup.Incus;

/// <summary>The envelope every Incus response uses: sync, async or error (incus-api.md §0).</summary>
public sealed class IncusEnvelope
{
    public string Type { get; set; } = "";
    public string? Status { get; set; }
    public int StatusCode { get; set; }
    public string? Operation { get; set; }
    public int ErrorCode { get; set; }
    public string? Error { get; set; }
    public JsonElement Metadata { get; set; }
}

public sealed class IncusOperation
{
    public string Id { get; set; } = "";
    public string? Class { get; set; }
    public string? Description { get; set; }
    public string? Status { get; set; }
    public int StatusCode { get; set; }
    public Dictionary<string, List<string>>? Resources { get; set; }
    public JsonElement Metadata { get; set; }
    public string? Err { get; set; }
    public bool MayCancel { get; set; }
}

public sealed class ServerInfo
{
    public List<string> ApiExtensions { get; set; } = [];
    public string? Auth { get; set; }
    public ServerEnvironment Environment { get; set; } = new();
    public Dictionary<string, JsonElement>? Config { get; set; }
}

public sealed class ServerEnvironment
{
    public string ServerVersion { get; set; } = "";
    public string? ServerName { get; set; }
    public bool ServerClustered { get; set; }
    public string? Storage { get; set; }
}

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

    /// <summary>The storage pool of the root disk, from the expanded devices (profiles included).</summary>
    [JsonIgnore]
    public string? RootPool =>
        (ExpandedDevices ?? Devices).Values
            .FirstOrDefault(d => d.GetValueOrDefault("type") == "disk" && d.GetValueOrDefault("path") == "/")
            ?.GetValueOrDefault("pool");
}

public sealed class IncusSnapshot
{
    public string Name { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class StorageVolume
{
    public string Name { get; set; } = "";
    public string Type { get; set; } = "";
    public string? ContentType { get; set; }
    public string? Description { get; set; }
    public string? Project { get; set; }
    public string? Location { get; set; }
    public Dictionary<string, string> Config { get; set; } = [];
    public List<string> UsedBy { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class StoragePool
{
    public string Name { get; set; } = "";
    public string Driver { get; set; } = "";
    public string? Status { get; set; }
    public Dictionary<string, string> Config { get; set; } = [];
}

public sealed class IncusProject
{
    public string Name { get; set; } = "";
    public Dictionary<string, string> Config { get; set; } = [];
}

public sealed class ServerBackup
{
    public string Name { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
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

/// <summary>GET .../volumes/custom/{name}/state: usage is null on a dir pool.</summary>
public sealed class VolumeStateInfo
{
    public VolumeUsage? Usage { get; set; }
}

public sealed class VolumeUsage
{
    public long Used { get; set; }
}

public sealed class InstanceBackupRequest
{
    public string? Name { get; set; }
    public DateTimeOffset? ExpiresAt { get; set; }
    public bool InstanceOnly { get; set; }
    public bool OptimizedStorage { get; set; }
    public string? CompressionAlgorithm { get; set; }
}

public sealed class VolumeBackupRequest
{
    public string? Name { get; set; }
    public DateTimeOffset? ExpiresAt { get; set; }
    public bool VolumeOnly { get; set; }
    public bool OptimizedStorage { get; set; }
    public string? CompressionAlgorithm { get; set; }
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

/// <summary>A profile; its writable fields are what PUT /1.0/profiles/{name} takes.</summary>
public sealed class IncusProfile
{
    public string Name { get; set; } = "";
    public string? Description { get; set; }
    public Dictionary<string, string> Config { get; set; } = [];
    public Dictionary<string, Dictionary<string, string>> Devices { get; set; } = [];

    /// <summary>Instances using the profile (read-only; ignored by PUT).</summary>
    public List<string>? UsedBy { get; set; }
}

/// <summary>Any API object, when only its existence matters.</summary>
public sealed class AnyObject;

public sealed class RenameRequest
{
    public string Name { get; set; } = "";
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(IncusEnvelope))]
[JsonSerializable(typeof(IncusOperation))]
[JsonSerializable(typeof(ServerInfo))]
[JsonSerializable(typeof(IncusInstance))]
[JsonSerializable(typeof(List<IncusInstance>))]
[JsonSerializable(typeof(List<IncusSnapshot>))]
[JsonSerializable(typeof(StorageVolume))]
[JsonSerializable(typeof(List<StorageVolume>))]
[JsonSerializable(typeof(StoragePool))]
[JsonSerializable(typeof(List<StoragePool>))]
[JsonSerializable(typeof(List<IncusProject>))]
[JsonSerializable(typeof(ServerBackup))]
[JsonSerializable(typeof(List<ServerBackup>))]
[JsonSerializable(typeof(InstanceBackupRequest))]
[JsonSerializable(typeof(VolumeBackupRequest))]
[JsonSerializable(typeof(InstanceStateRequest))]
[JsonSerializable(typeof(RenameRequest))]
[JsonSerializable(typeof(InstanceUpdate))]
[JsonSerializable(typeof(AnyObject))]
[JsonSerializable(typeof(IncusProfile))]
[JsonSerializable(typeof(IncusProject))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(InstanceStateInfo))]
[JsonSerializable(typeof(VolumeStateInfo))]
internal sealed partial class IncusJsonContext : JsonSerializerContext;

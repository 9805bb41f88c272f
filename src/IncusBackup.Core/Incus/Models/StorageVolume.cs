namespace IncusBackup.Incus;

/// <summary>A storage volume (custom volumes are what this module backs up).</summary>
public sealed class StorageVolume
{
    public string Name { get; set; } = "";
    public string Type { get; set; } = "";
    public string? ContentType { get; set; }
    public string? Description { get; set; }
    public string? Project { get; set; }
    public string? Location { get; set; }
    public Dictionary<string, string> Config { get; set; } = [];

    /// <summary>API URLs of the instances and profiles that use the volume (instances with ?project=).</summary>
    public List<string> UsedBy { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
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

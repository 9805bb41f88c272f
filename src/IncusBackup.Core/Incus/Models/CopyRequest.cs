namespace IncusBackup.Incus;

/// <summary>POST /1.0/instances with a copy source: a new instance copied from another of the same project, snapshots included.</summary>
public sealed class InstanceCopyRequest
{
    public string Name { get; set; } = "";
    public CopySource Source { get; set; } = new();

    /// <summary>Keys set on the copy over the source's own (the server copies the rest).</summary>
    public Dictionary<string, string> Config { get; set; } = [];
}

/// <summary>POST /1.0/storage-pools/{pool}/volumes/custom with a copy source.</summary>
public sealed class VolumeCopyRequest
{
    public string Name { get; set; } = "";
    public string Type { get; set; } = "custom";
    public CopySource Source { get; set; } = new();

    /// <summary>The copy's whole config (the server copies none of the source's when one is given).</summary>
    public Dictionary<string, string> Config { get; set; } = [];
}

/// <summary>Where a copy comes from: an instance (<see cref="Source"/>) or a volume (<see cref="Name"/> in <see cref="Pool"/>).</summary>
public sealed class CopySource
{
    public string Type { get; set; } = "copy";
    public string? Source { get; set; }
    public string? Name { get; set; }
    public string? Pool { get; set; }
    public bool? InstanceOnly { get; set; }
    public bool? VolumeOnly { get; set; }
}

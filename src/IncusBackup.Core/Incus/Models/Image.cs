namespace IncusBackup.Incus;

/// <summary>An image as GET /1.0/images/{fingerprint} returns it.</summary>
public sealed class IncusImage
{
    public string Fingerprint { get; set; } = "";
    public string? Type { get; set; }
    public string? Architecture { get; set; }
    public long Size { get; set; }
    public bool Public { get; set; }
    public bool AutoUpdate { get; set; }
    public bool Cached { get; set; }
    public List<ImageAlias> Aliases { get; set; } = [];
    public Dictionary<string, string> Properties { get; set; } = [];
    public List<string> Profiles { get; set; } = [];
}

public sealed class ImageAlias
{
    public string Name { get; set; } = "";
    public string? Description { get; set; }
}

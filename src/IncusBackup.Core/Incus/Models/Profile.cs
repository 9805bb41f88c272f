namespace IncusBackup.Incus;

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

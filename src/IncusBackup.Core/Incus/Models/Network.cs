namespace IncusBackup.Incus;

public sealed class IncusNetwork
{
    public string Name { get; set; } = "";
    public string? Type { get; set; }
    public bool Managed { get; set; }
    public Dictionary<string, string> Config { get; set; } = [];
}

namespace IncusBackup.Incus;

public sealed class IncusProject
{
    public string Name { get; set; } = "";
    public Dictionary<string, string> Config { get; set; } = [];
}

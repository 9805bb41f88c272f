using System.Text.Json.Nodes;
using IncusBackup.Config;

namespace IncusBackup.Tests.Core.Config;

/// <summary>JSON helpers for the config tests: objects written as JSON text, and a canonical form to compare them by.</summary>
internal static class ConfigJson
{
    /// <summary>A JSON object from its text.</summary>
    public static JsonObject Obj(string json) => JsonNode.Parse(json)!.AsObject();

    /// <summary>Compact JSON with every object's keys in ordinal order: equal for equal objects, readable in a failed assertion.</summary>
    public static string Canon(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject o => ConfigSnapshot.Sorted(o).ToJsonString(),
        JsonArray a => "[" + string.Join(",", a.Select(Canon)) + "]",
        _ => node.ToJsonString(),
    };

    public static string Canon(string json) => Canon(JsonNode.Parse(json));

    public static ConfigResource Project(string name, string json) => new(ConfigKind.Project, null, name, Obj(json));

    public static ConfigResource Pool(string name, string json) => new(ConfigKind.StoragePool, null, name, Obj(json));

    public static ConfigResource Network(string project, string name, string json) => new(ConfigKind.Network, project, name, Obj(json));

    public static ConfigResource Profile(string project, string name, string json) => new(ConfigKind.Profile, project, name, Obj(json));

    public static ConfigResource Server(string json) => new(ConfigKind.Server, null, "server", Obj(json));
}

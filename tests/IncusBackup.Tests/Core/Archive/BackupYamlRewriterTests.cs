using System.Text.RegularExpressions;
using IncusBackup.Archive;
using Xunit;
using static IncusBackup.Tests.Core.Archive.YamlProbe;

namespace IncusBackup.Tests.Core.Archive;

public sealed class BackupYamlRewriterTests
{
    private static readonly RestoreMapping FullMapping = new()
    {
        Pools = new Dictionary<string, string> { ["default"] = "pool2" },
        Networks = new Dictionary<string, string> { ["incusbr0"] = "br1" },
        Profiles = new Dictionary<string, string> { ["extra"] = "web" },
        Projects = new Dictionary<string, string> { ["scratch"] = "prod" },
        NewName = "b1",
    };

    private static string RewriteBackup(string yaml, RestoreMapping mapping, ChangeList? changes = null) =>
        BackupYamlRewriter.RewriteBackupConfig(yaml, "backup/container/backup.yaml", mapping, changes ?? new ChangeList())
        ?? throw new InvalidOperationException("expected a change");

    [Fact]
    public void Instance_devices_profiles_project_and_name_are_mapped()
    {
        string yaml = RewriteBackup(IncusYamlFixtures.ContainerBackupYaml, FullMapping);

        Assert.Equal("b1", Value(yaml, "container", "name"));
        Assert.Equal("prod", Value(yaml, "container", "project"));
        Assert.Equal(["default", "web"], Values(yaml, "container", "profiles"));
        Assert.Equal("pool2", Value(yaml, "container", "devices", "v1", "pool"));
        Assert.Equal("br1", Value(yaml, "container", "devices", "eth2", "parent"));
        Assert.Equal("pool2", Value(yaml, "container", "expanded_devices", "root", "pool"));
        Assert.Equal("pool2", Value(yaml, "container", "expanded_devices", "v1", "pool"));
        Assert.Equal("br1", Value(yaml, "container", "expanded_devices", "eth0", "network"));
        Assert.Equal("br1", Value(yaml, "container", "expanded_devices", "eth2", "parent"));
    }

    [Fact]
    public void Unmapped_values_and_lookalikes_are_untouched()
    {
        string yaml = RewriteBackup(IncusYamlFixtures.ContainerBackupYaml, FullMapping);

        Assert.Equal("fast", Value(yaml, "container", "devices", "cache", "pool"));
        Assert.Equal("cache", Value(yaml, "container", "devices", "cache", "source"));
        Assert.Equal("v1", Value(yaml, "container", "devices", "v1", "source"));
        Assert.Equal("eth0", Value(yaml, "container", "devices", "eth1", "parent"));
        Assert.Equal("/", Value(yaml, "container", "expanded_devices", "root", "path"));
        // Paths and descriptions that contain a mapped name are not references.
        Assert.Equal("/var/lib/incus/storage-pools/default", Value(yaml, "pool", "config", "source"));
        Assert.Equal("Default Incus profile for project scratch", Value(yaml, "profiles", "0", "description"));
        Assert.Equal("126c3041-8d05-4b74-baad-26100a0f28b6", Value(yaml, "container", "config", "volatile.uuid"));
        Assert.Equal("container", Value(yaml, "container", "type"));
        Assert.Equal("dir", Value(yaml, "pool", "driver"));
    }

    [Fact]
    public void Snapshots_keep_their_names_but_get_their_devices_and_profiles_mapped()
    {
        string yaml = RewriteBackup(IncusYamlFixtures.ContainerBackupYaml, FullMapping);

        Assert.Equal("s1", Value(yaml, "snapshots", "0", "name"));
        Assert.Equal(["default", "web"], Values(yaml, "snapshots", "0", "profiles"));
        Assert.Equal("pool2", Value(yaml, "snapshots", "0", "expanded_devices", "root", "pool"));
        Assert.Equal("br1", Value(yaml, "snapshots", "0", "expanded_devices", "eth0", "network"));
        Assert.Equal("eth0", Value(yaml, "snapshots", "0", "devices", "eth1", "parent"));
        Assert.Equal("s1", Value(yaml, "volume_snapshots", "0", "name"));
    }

    [Fact]
    public void Pool_profile_and_volume_objects_are_mapped()
    {
        string yaml = RewriteBackup(IncusYamlFixtures.ContainerBackupYaml, FullMapping);

        Assert.Equal("pool2", Value(yaml, "pool", "name"));
        Assert.Equal("default", Value(yaml, "profiles", "0", "name"));
        Assert.Equal("pool2", Value(yaml, "profiles", "0", "devices", "root", "pool"));
        Assert.Equal("prod", Value(yaml, "profiles", "0", "project"));
        Assert.Equal("web", Value(yaml, "profiles", "1", "name"));
        Assert.Equal("br1", Value(yaml, "profiles", "1", "devices", "eth0", "network"));
        Assert.Equal("b1", Value(yaml, "volume", "name"));
        Assert.Equal("prod", Value(yaml, "volume", "project"));
    }

    [Fact]
    public void Target_pool_moves_the_instance_and_its_root_disks_while_other_disks_follow_the_pool_map()
    {
        var mapping = new RestoreMapping { TargetPool = "tp", Pools = new Dictionary<string, string> { ["default"] = "pool2" } };

        string yaml = RewriteBackup(IncusYamlFixtures.ContainerBackupYaml, mapping);

        Assert.Equal("tp", Value(yaml, "pool", "name"));
        Assert.Equal("tp", Value(yaml, "container", "expanded_devices", "root", "pool"));
        Assert.Equal("tp", Value(yaml, "snapshots", "0", "expanded_devices", "root", "pool"));
        Assert.Equal("pool2", Value(yaml, "container", "devices", "v1", "pool"));
        Assert.Equal("pool2", Value(yaml, "profiles", "0", "devices", "root", "pool"));
        Assert.Equal("fast", Value(yaml, "container", "devices", "cache", "pool"));
    }

    [Fact]
    public void Index_name_pool_and_embedded_config_are_mapped()
    {
        var changes = new ChangeList();
        string yaml = BackupYamlRewriter.RewriteIndex(IncusYamlFixtures.ContainerIndexYaml(), FullMapping, changes)!;

        Assert.Equal("b1", Value(yaml, "name"));
        Assert.Equal("pool2", Value(yaml, "pool"));
        Assert.Equal(["s1"], Values(yaml, "snapshots"));
        Assert.Equal("container", Value(yaml, "type"));
        Assert.Equal("dir", Value(yaml, "backend"));
        Assert.Equal("b1", Value(yaml, "config", "container", "name"));
        Assert.Equal("pool2", Value(yaml, "config", "container", "expanded_devices", "root", "pool"));
        Assert.Equal(["default", "web"], Values(yaml, "config", "snapshots", "0", "profiles"));
        Assert.Equal("pool2", Value(yaml, "config", "pool", "name"));
        Assert.Equal("web", Value(yaml, "config", "profiles", "1", "name"));
        Assert.Equal("b1", Value(yaml, "config", "volume", "name"));
        Assert.Contains("index: name a1 -> b1", changes.Items);
        Assert.Contains("index: pool default -> pool2", changes.Items);
    }

    [Fact]
    public void Custom_volume_index_gets_target_pool_and_new_name()
    {
        var mapping = new RestoreMapping { TargetPool = "pool2", NewName = "v2", Projects = new Dictionary<string, string> { ["scratch"] = "prod" } };

        string yaml = BackupYamlRewriter.RewriteIndex(IncusYamlFixtures.CustomVolumeIndexYaml, mapping, new ChangeList())!;

        Assert.Equal("v2", Value(yaml, "name"));
        Assert.Equal("pool2", Value(yaml, "pool"));
        Assert.Equal("v2", Value(yaml, "config", "volume", "name"));
        Assert.Equal("prod", Value(yaml, "config", "volume", "project"));
        Assert.Equal("vs1", Value(yaml, "config", "volume_snapshots", "0", "name"));
        Assert.Equal(["vs1"], Values(yaml, "snapshots"));
    }

    [Fact]
    public void Changes_are_human_readable_and_not_repeated()
    {
        var changes = new ChangeList();

        RewriteBackup(IncusYamlFixtures.ContainerBackupYaml, FullMapping, changes);
        RewriteBackup(IncusYamlFixtures.ContainerBackupYaml, FullMapping, changes);

        Assert.Contains("instance a1: expanded device root: pool default -> pool2", changes.Items);
        Assert.Contains("instance a1: profile extra -> web", changes.Items);
        Assert.Contains("instance a1: device eth2: parent incusbr0 -> br1", changes.Items);
        Assert.Contains("instance a1: name a1 -> b1", changes.Items);
        Assert.Contains("snapshot s1: expanded device eth0: network incusbr0 -> br1", changes.Items);
        Assert.Contains("profile extra: name extra -> web", changes.Items);
        Assert.Contains("pool: name default -> pool2", changes.Items);
        Assert.Contains("volume a1: name a1 -> b1", changes.Items);
        Assert.Equal(changes.Items.Count, changes.Items.Distinct().Count());
    }

    [Fact]
    public void Keys_and_scalar_styles_the_rewriter_does_not_know_survive()
    {
        string yaml = RewriteBackup(IncusYamlFixtures.ContainerBackupYaml, FullMapping);

        Assert.Equal("kept", Value(yaml, "future_key", "nested"));
        // Quoted scalars stay quoted: Go reads an unquoted false/0 as bool/int and fails on a string field.
        Assert.Contains("volatile.eth1.last_state.created: \"false\"\n", yaml);
        Assert.Contains("volatile.idmap.base: \"0\"\n", yaml);
        Assert.Contains("volatile.idmap.current: '[{\"Isuid\":true,\"Isgid\":false,\"Hostid\":1000000,\"Nsid\":0,\"Maprange\":1000000000}]'\n", yaml);
        Assert.Contains("created_at: 2026-11-24T00:06:54.078790479Z\n", yaml);
        Assert.Contains("used_by: []\n", yaml);
        Assert.DoesNotContain("...", yaml);
    }

    [Fact]
    public void Only_the_mapped_lines_differ_from_the_original()
    {
        var mapping = new RestoreMapping { Networks = new Dictionary<string, string> { ["incusbr0"] = "br1" } };

        string[] before = IncusYamlFixtures.ContainerBackupYaml.Split('\n');
        string[] after = RewriteBackup(IncusYamlFixtures.ContainerBackupYaml, mapping).Split('\n');

        Assert.Equal(before.Length, after.Length);
        var differing = before.Zip(after).Where(pair => pair.First != pair.Second).ToList();
        Assert.NotEmpty(differing);
        Assert.All(differing, pair => Assert.Equal(pair.First.Replace("incusbr0", "br1", StringComparison.Ordinal), pair.Second));
    }

    [Fact]
    public void A_mapping_that_matches_nothing_returns_null()
    {
        var mapping = new RestoreMapping { Pools = new Dictionary<string, string> { ["nonexistent"] = "x" } };

        Assert.Null(BackupYamlRewriter.RewriteBackupConfig(IncusYamlFixtures.ContainerBackupYaml, "backup/container/backup.yaml", mapping, new ChangeList()));
        Assert.Null(BackupYamlRewriter.RewriteIndex(IncusYamlFixtures.ContainerIndexYaml(), RestoreMapping.None, new ChangeList()));
    }

    [Theory]
    [InlineData("123")]
    [InlineData("true")]
    [InlineData("no")]
    [InlineData("1e3")]
    [InlineData("null")]
    public void Mapped_names_that_YAML_would_misread_are_quoted(string newName)
    {
        var mapping = new RestoreMapping { Profiles = new Dictionary<string, string> { ["extra"] = newName } };

        string yaml = RewriteBackup(IncusYamlFixtures.ContainerBackupYaml, mapping);

        Assert.Contains($"- \"{newName}\"\n", yaml);
        Assert.Equal(["default", newName], Values(yaml, "container", "profiles"));
    }

    // An instance with a NIC, as Incus exports it: its MAC address in the instance's config and in its snapshots'.
    private static string WithMacAddress(string yaml) =>
        Regex.Replace(yaml, @"^(\s*)volatile\.uuid: ", "$1volatile.eth0.hwaddr: 10:66:6a:00:00:01\n$1volatile.uuid: ", RegexOptions.Multiline);

    [Fact]
    public void A_copy_under_a_new_name_gets_MAC_addresses_of_its_own()
    {
        var changes = new ChangeList();
        var mapping = new RestoreMapping { NewName = "b1", NewMacAddresses = true };

        string backup = RewriteBackup(WithMacAddress(IncusYamlFixtures.ContainerBackupYaml), mapping, changes);
        string index = BackupYamlRewriter.RewriteIndex(WithMacAddress(IncusYamlFixtures.ContainerIndexYaml()), mapping, new ChangeList())!;

        Assert.Contains("volatile.eth0.hwaddr", WithMacAddress(IncusYamlFixtures.ContainerBackupYaml));
        Assert.DoesNotContain("hwaddr", backup);
        Assert.DoesNotContain("hwaddr", index);
        Assert.Equal("126c3041-8d05-4b74-baad-26100a0f28b6", Value(backup, "container", "config", "volatile.uuid"));
        Assert.Contains("instance b1: volatile.eth0.hwaddr dropped (a copy gets a MAC address of its own)", changes.Items);
    }

    [Fact]
    public void A_restore_under_its_own_name_keeps_its_MAC_addresses()
    {
        var mapping = FullMapping with { NewMacAddresses = false };

        string backup = RewriteBackup(WithMacAddress(IncusYamlFixtures.ContainerBackupYaml), mapping);

        Assert.Equal("10:66:6a:00:00:01", Value(backup, "container", "config", "volatile.eth0.hwaddr"));
        Assert.Equal("10:66:6a:00:00:01", Value(backup, "container", "expanded_config", "volatile.eth0.hwaddr"));
    }

    [Fact]
    public void Invalid_yaml_is_reported_as_invalid_data() =>
        Assert.Throws<InvalidDataException>(() =>
            BackupYamlRewriter.RewriteBackupConfig("container: [unclosed\n", "backup/container/backup.yaml", FullMapping, new ChangeList()));
}

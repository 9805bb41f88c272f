namespace IncusBackup.Tests.Core.Archive;

/// <summary>
/// YAML shaped like a real Incus 6.0.4 export (trimmed from one), plus a few extras: a bridged NIC whose parent is a
/// managed network, a disk on a second pool, and an unknown top-level key that must survive.
/// </summary>
internal static class IncusYamlFixtures
{
    public const string ContainerBackupYaml = """
        container:
          architecture: x86_64
          config:
            image.os: busybox
            volatile.eth1.last_state.created: "false"
            volatile.idmap.base: "0"
            volatile.idmap.current: '[{"Isuid":true,"Isgid":false,"Hostid":1000000,"Nsid":0,"Maprange":1000000000}]'
            volatile.uuid: 126c3041-8d05-4b74-baad-26100a0f28b6
          devices:
            cache:
              path: /cache
              pool: fast
              source: cache
              type: disk
            eth1:
              name: eth1
              nictype: macvlan
              parent: eth0
              type: nic
            eth2:
              name: eth2
              nictype: bridged
              parent: incusbr0
              type: nic
            v1:
              path: /data
              pool: default
              source: v1
              type: disk
          ephemeral: false
          profiles:
          - default
          - extra
          stateful: false
          description: ""
          created_at: 2026-11-24T00:06:54.078790479Z
          expanded_config:
            image.os: busybox
            volatile.uuid: 126c3041-8d05-4b74-baad-26100a0f28b6
          expanded_devices:
            cache:
              path: /cache
              pool: fast
              source: cache
              type: disk
            eth0:
              name: eth0
              network: incusbr0
              type: nic
            eth1:
              name: eth1
              nictype: macvlan
              parent: eth0
              type: nic
            eth2:
              name: eth2
              nictype: bridged
              parent: incusbr0
              type: nic
            root:
              path: /
              pool: default
              type: disk
            v1:
              path: /data
              pool: default
              source: v1
              type: disk
          name: a1
          status: Running
          status_code: 103
          last_used_at: 2026-11-24T00:06:54.398260144Z
          location: none
          type: container
          project: scratch
        snapshots:
        - expires_at: 0001-01-01T00:00:00Z
          architecture: x86_64
          config:
            volatile.uuid: 126c3041-8d05-4b74-baad-26100a0f28b6
          created_at: 2026-11-24T00:07:00.635668266Z
          devices:
            eth1:
              name: eth1
              nictype: macvlan
              parent: eth0
              type: nic
          ephemeral: false
          expanded_config: {}
          expanded_devices:
            eth0:
              name: eth0
              network: incusbr0
              type: nic
            root:
              path: /
              pool: default
              type: disk
          last_used_at: 0001-01-01T00:00:00Z
          name: s1
          profiles:
          - default
          - extra
          stateful: false
          size: -1
        pool:
          config:
            source: /var/lib/incus/storage-pools/default
          description: ""
          name: default
          driver: dir
          used_by: []
          status: Created
          locations:
          - none
        profiles:
        - config: {}
          description: Default Incus profile for project scratch
          devices:
            root:
              path: /
              pool: default
              type: disk
          name: default
          used_by: []
          project: scratch
        - config: {}
          description: ""
          devices:
            eth0:
              name: eth0
              network: incusbr0
              type: nic
          name: extra
          used_by: []
          project: scratch
        volume:
          config: {}
          description: ""
          name: a1
          type: container
          used_by: []
          location: none
          content_type: filesystem
          project: scratch
          created_at: 2026-11-24T00:06:54.078790479Z
        volume_snapshots:
        - description: ""
          expires_at: 0001-01-01T00:00:00Z
          name: s1
          config: {}
          content_type: filesystem
          created_at: 2026-11-24T00:07:00.635668266Z
        future_key:
          nested: kept

        """;

    /// <summary>A snapshot's backup.yaml: the instance as it was then (still named after the instance), no snapshot lists.</summary>
    public const string SnapshotBackupYaml = """
        container:
          architecture: x86_64
          config:
            volatile.uuid: 126c3041-8d05-4b74-baad-26100a0f28b6
          devices:
            eth1:
              name: eth1
              nictype: macvlan
              parent: eth0
              type: nic
          ephemeral: false
          profiles:
          - default
          - extra
          stateful: false
          description: ""
          expanded_devices:
            eth0:
              name: eth0
              network: incusbr0
              type: nic
            root:
              path: /
              pool: default
              type: disk
          name: a1
          status: Running
          type: container
          project: scratch
        pool:
          name: default
          driver: dir
        profiles:
        - config: {}
          devices:
            eth0:
              name: eth0
              network: incusbr0
              type: nic
          name: extra
          project: scratch
        volume:
          config: {}
          name: a1
          type: container
          project: scratch

        """;

    public const string CustomVolumeIndexYaml = """
        name: v1
        backend: dir
        pool: default
        snapshots:
        - vs1
        optimized: false
        optimized_header: false
        type: custom
        config:
          volume:
            config:
              volatile.idmap.last: '[{"Isuid":true,"Isgid":false,"Hostid":1000000,"Nsid":0,"Maprange":1000000000}]'
            description: ""
            name: v1
            type: custom
            used_by: []
            location: none
            content_type: filesystem
            project: scratch
            created_at: 2026-11-24T00:07:00.835278062Z
          volume_snapshots:
          - description: ""
            expires_at: 0001-01-01T00:00:00Z
            name: vs1
            config: {}
            content_type: filesystem
            created_at: 2026-11-24T00:07:01.067706326Z

        """;

    /// <summary>index.yaml of the container: its <c>config:</c> holds exactly the backup.yaml objects, as in a real export.</summary>
    public static string ContainerIndexYaml(bool optimized = false) =>
        $"""
        name: a1
        backend: dir
        pool: default
        snapshots:
        - s1
        optimized: {(optimized ? "true" : "false")}
        optimized_header: false
        type: container
        config:

        """ + Indent(ContainerBackupYaml);

    private static string Indent(string yaml) =>
        string.Concat(yaml.Split('\n').Select(line => line.Length == 0 ? "" : "  " + line + "\n"));
}

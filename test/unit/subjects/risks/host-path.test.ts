import assert from 'node:assert/strict';
import {
  classifyHostPath,
  type HostPathClass,
  normalizeHostPath,
} from '../../../../src/subjects/workload/host-path.js';

describe('hostPath classes', () => {
  const cases: [string, HostPathClass][] = [
    ['/', 'runtime-socket'],
    ['/var/run/docker.sock', 'runtime-socket'],
    ['/run/containerd/containerd.sock', 'runtime-socket'],
    ['/run/containerd', 'runtime-socket'],
    ['/run/containerd/io.containerd.runtime.v2.task', 'runtime-socket'],
    ['/var/run', 'runtime-socket'],
    ['/var', 'runtime-socket'],
    ['/run/k3s/containerd/containerd.sock', 'runtime-socket'],
    ['/var/run/crio/crio.sock', 'runtime-socket'],
    ['/opt/docker/docker.sock', 'runtime-socket'],
    ['\\\\.\\pipe\\docker_engine', 'runtime-socket'],
    ['/etc', 'sensitive'],
    ['/etc/', 'sensitive'],
    ['/etc/kubernetes', 'sensitive'],
    ['/etc/kubernetes/admin.conf', 'sensitive'],
    ['/proc', 'sensitive'],
    ['/proc/sys/kernel', 'sensitive'],
    ['/root/.ssh', 'sensitive'],
    ['/home', 'sensitive'],
    ['/var/log', 'sensitive'],
    ['/var/log/pods', 'sensitive'],
    ['/var/lib', 'sensitive'],
    ['/var/lib/kubelet', 'sensitive'],
    ['/var/lib/kubelet/pki', 'sensitive'],
    ['/var/lib/docker/containers', 'sensitive'],
    ['/var/lib/etcd', 'sensitive'],
    ['/tmp/../etc', 'sensitive'],
    ['C:\\Windows\\System32', 'sensitive'],
    ['/etc/ssl/certs', 'other'],
    ['/etc/pki/tls', 'other'],
    ['/etc/localtime', 'other'],
    ['/etc/machine-id', 'other'],
    ['/sys', 'other'],
    ['/dev/fuse', 'other'],
    ['/mnt/data', 'other'],
    ['/opt/cni/bin', 'other'],
    ['/var/lib/my-app', 'other'],
    ['/etcd-data', 'other'],
    ['C:\\data', 'other'],
  ];
  for (const [path, want] of cases)
    it(`${path} is ${want}`, () => assert.equal(classifyHostPath(path), want));

  it('normalises before judging', () => {
    assert.equal(normalizeHostPath('//var/./log/../lib//kubelet/'), '/var/lib/kubelet');
    assert.equal(normalizeHostPath('relative/path'), '/relative/path');
    assert.equal(normalizeHostPath('/../..'), '/');
  });
});

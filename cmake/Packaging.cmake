# Install layout and CPack packages (DEB; RPM too when rpmbuild is present).
# Included from the top-level CMakeLists.txt, after the runc-isolcpus target
# and its bin/ install rules (runc-isolcpus, runc-isolcpus-ctl).
#
#   /usr/bin/runc-isolcpus, /usr/bin/runc-isolcpus-ctl
#   /etc/runc-isolcpus/config.toml                   conffile, every key at its default
#   /etc/crio/crio.conf.d/10-isolcpus.conf           conffile: the "isolcpus" CRI-O handler
#   /usr/share/runc-isolcpus/containerd/*.toml       containerd handler tables (merged by hand on 1.x)
#   /usr/share/runc-isolcpus/hooks.d/runc-isolcpus.json   hook mode, inactive until copied
#   /usr/lib/systemd/system/runc-isolcpus-reconcile.{service,timer}   reconcile every minute
#   /usr/share/doc/runc-isolcpus/                    docs
#   /usr/share/man/man{5,8}/                         runc-isolcpus(8), runc-isolcpus-ctl(8), runc-isolcpus-config(5)
#   /usr/share/bash-completion/completions/runc-isolcpus-ctl
#
# The runtime drop-ins in packaging/ name /usr/local/bin/runc-isolcpus (where
# the Kubernetes installer puts the binary); the package's copies are
# rewritten to /usr/bin.  The hooks.d file is not installed where CRI-O and
# podman look: wrapper and hook mode on one container would each claim the
# same CPUs, so hook mode is an explicit choice (docs/OPERATIONS.md).

set(ISOLCPUS_PKG_STAGE ${CMAKE_BINARY_DIR}/packaging-stage)
set(ISOLCPUS_BIN_PATH /usr/bin/runc-isolcpus)

function(isolcpus_stage_dropin src dst)
  if(EXISTS ${src})
    file(READ ${src} text)
    string(REPLACE "/usr/local/bin/runc-isolcpus" "${ISOLCPUS_BIN_PATH}" text "${text}")
    file(WRITE ${dst} "${text}")
  endif()
endfunction()

install(FILES ${CMAKE_SOURCE_DIR}/examples/config.toml DESTINATION /etc/runc-isolcpus)

set(crio_dropin ${CMAKE_SOURCE_DIR}/packaging/crio/10-isolcpus.conf)
if(EXISTS ${crio_dropin})
  isolcpus_stage_dropin(${crio_dropin} ${ISOLCPUS_PKG_STAGE}/10-isolcpus.conf)
  install(FILES ${ISOLCPUS_PKG_STAGE}/10-isolcpus.conf DESTINATION /etc/crio/crio.conf.d)
endif()

file(GLOB containerd_dropins CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/packaging/containerd/*.toml
     ${CMAKE_SOURCE_DIR}/packaging/containerd/*.md)
foreach(src ${containerd_dropins})
  get_filename_component(name ${src} NAME)
  isolcpus_stage_dropin(${src} ${ISOLCPUS_PKG_STAGE}/containerd/${name})
  install(FILES ${ISOLCPUS_PKG_STAGE}/containerd/${name} DESTINATION share/runc-isolcpus/containerd)
endforeach()

install(FILES ${CMAKE_SOURCE_DIR}/packaging/hooks.d/runc-isolcpus.json DESTINATION share/runc-isolcpus/hooks.d)

# The periodic reconcile (enabled by the .deb's postinst).
install(FILES ${CMAKE_SOURCE_DIR}/packaging/systemd/runc-isolcpus-reconcile.service
              ${CMAKE_SOURCE_DIR}/packaging/systemd/runc-isolcpus-reconcile.timer DESTINATION lib/systemd/system)

# Man pages from one scdoc source each (docs/man/<name>.<section>.scd),
# gzipped reproducibly as Debian policy wants them.
find_program(ISOLCPUS_SCDOC scdoc REQUIRED)
find_program(ISOLCPUS_GZIP gzip REQUIRED)
file(GLOB isolcpus_man_sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/man/*.scd)
set(isolcpus_man_pages)
foreach(src ${isolcpus_man_sources})
  get_filename_component(page ${src} NAME_WLE)  # runc-isolcpus.8
  string(REGEX REPLACE ".*\\.([0-9])$" "\\1" section ${page})
  set(out ${ISOLCPUS_PKG_STAGE}/man/${page}.gz)
  add_custom_command(OUTPUT ${out}
                     COMMAND ${CMAKE_COMMAND} -E make_directory ${ISOLCPUS_PKG_STAGE}/man
                     COMMAND sh -c "${ISOLCPUS_SCDOC} < ${src} | ${ISOLCPUS_GZIP} -9n > ${out}"
                     DEPENDS ${src} VERBATIM)
  list(APPEND isolcpus_man_pages ${out})
  install(FILES ${out} DESTINATION share/man/man${section})
endforeach()
add_custom_target(isolcpus_man ALL DEPENDS ${isolcpus_man_pages})

install(FILES ${CMAKE_SOURCE_DIR}/packaging/bash-completion/runc-isolcpus-ctl
        DESTINATION share/bash-completion/completions)

# Debian's per-package files: copyright, the (native) changelog, and the
# one lintian tag we keep on purpose.
install(FILES ${CMAKE_SOURCE_DIR}/packaging/debian/copyright DESTINATION share/doc/runc-isolcpus)
set(isolcpus_changelog ${ISOLCPUS_PKG_STAGE}/changelog.gz)
add_custom_command(OUTPUT ${isolcpus_changelog}
                   COMMAND sh -c "${ISOLCPUS_GZIP} -9n < ${CMAKE_SOURCE_DIR}/packaging/debian/changelog > ${isolcpus_changelog}"
                   DEPENDS ${CMAKE_SOURCE_DIR}/packaging/debian/changelog VERBATIM)
add_custom_target(isolcpus_changelog ALL DEPENDS ${isolcpus_changelog})
install(FILES ${isolcpus_changelog} DESTINATION share/doc/runc-isolcpus)
install(FILES ${CMAKE_SOURCE_DIR}/packaging/debian/lintian-overrides DESTINATION share/lintian/overrides
        RENAME runc-isolcpus)

file(GLOB isolcpus_docs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/*.md ${CMAKE_SOURCE_DIR}/README.md)
install(FILES ${isolcpus_docs} DESTINATION share/doc/runc-isolcpus)

if(ISOLCPUS_FAULT_INJECTION)
  message(WARNING "ISOLCPUS_FAULT_INJECTION is ON: packages built from this tree carry the test-only "
                  "fault switch; configure a separate build with it OFF for release packages")
endif()

# --- CPack ------------------------------------------------------------------
set(CPACK_PACKAGE_NAME runc-isolcpus)
set(CPACK_PACKAGE_VENDOR "runc-isolcpus")
set(CPACK_PACKAGE_CONTACT "runc-isolcpus maintainers <maintainers@runc-isolcpus.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "OCI runtime wrapper isolating pinned containers' CPUs from load balancing")
# Wrapped for the control file (lintian: extended-description-line-too-long).
set(CPACK_PACKAGE_DESCRIPTION "runc-isolcpus sits where runc is called, reads a container's pinned CPUs
from its OCI spec and, while the container lives, takes those CPUs out of
scheduler load balancing (cgroup v2 isolated partitions, cgroup v1
sched_load_balance), as CRI-O's cpu-load-balancing.crio.io annotation does,
for containerd and any runc caller. Then it executes the real runc with its
arguments untouched.")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_FILE_NAME "${CPACK_PACKAGE_NAME}_${PROJECT_VERSION}")
set(CPACK_GENERATOR DEB)

# The binary is static: no shared-library dependencies to compute.
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "runc, libsystemd0")
# dpkg-shlibdeps names what the ctl links (libc); libsystemd is dlopen()ed
# by `configure --restart` only, hence a recommendation.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# CMake marks files under /etc as conffiles itself only from 3.28 on (and
# then this list would duplicate them).
set(isolcpus_conffiles /etc/runc-isolcpus/config.toml)
if(EXISTS ${crio_dropin})
  list(APPEND isolcpus_conffiles /etc/crio/crio.conf.d/10-isolcpus.conf)
endif()
list(JOIN isolcpus_conffiles "\n" conffiles_text)
file(WRITE ${ISOLCPUS_PKG_STAGE}/debian/conffiles "${conffiles_text}\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${ISOLCPUS_PKG_STAGE}/debian/conffiles ${CMAKE_SOURCE_DIR}/packaging/debian/postinst
                                      ${CMAKE_SOURCE_DIR}/packaging/debian/prerm ${CMAKE_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

find_program(ISOLCPUS_RPMBUILD rpmbuild)
if(ISOLCPUS_RPMBUILD)
  list(APPEND CPACK_GENERATOR RPM)
  set(CPACK_RPM_PACKAGE_LICENSE "Apache-2.0")
  set(CPACK_RPM_PACKAGE_GROUP "System Environment/Base")
  set(CPACK_RPM_FILE_NAME RPM-DEFAULT)
  set(CPACK_RPM_PACKAGE_AUTOREQ OFF)
  set(CPACK_RPM_USER_FILELIST "%config(noreplace) /etc/runc-isolcpus/config.toml")
  if(EXISTS ${crio_dropin})
    list(APPEND CPACK_RPM_USER_FILELIST "%config(noreplace) /etc/crio/crio.conf.d/10-isolcpus.conf")
  endif()
  set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION /etc/crio /etc/crio/crio.conf.d)
endif()

include(CPack)
